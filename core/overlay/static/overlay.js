// MatchSync broadcast overlay: follows the WebSocket feed, pops each event up when the programme video
// (the media clock minus the playout delay) reaches the event's media time.
// Rules (issue 10): never before its media time; a revision of an event already shown changes it in place
// and never shows it again; a cancelled event is withdrawn. Events joined late (already older than the hold
// time when first seen) are marked seen without a pop.
"use strict";

const SHOWN_TYPES = new Set(["goal", "penalty_awarded", "yellow_card", "red_card", "substitution",
                             "kickoff", "half_time", "full_time", "offside"]);
const LABELS = { penalty_awarded: "PENALTY", kickoff: "KICK-OFF", half_time: "HALF-TIME",
                 full_time: "FULL-TIME" };
const WITH_MINUTE = new Set(["goal", "penalty_awarded", "yellow_card", "red_card", "substitution", "offside"]);
const CLOCK_POLL_MS = 100;      // the clock is not run on between polls: a stalled input must not
                                // carry the programme time past an event it has not reached
const TICK_MS = 40;
const RECONNECT_MS = 1000;

const params = new URLSearchParams(location.search);
const token = params.get("token") || "";
const state = {
  config: null,
  delay: 0, hold: 8,
  media_s: null,        // the last /clock answer
  lastSeq: 0,
  events: new Map(),    // id -> {id, revision, status, type, t, shown, popped_at, element}
  pops: [],             // every pop: {id, revision, t, programme_s} (read by tests)
  feed: "connecting",
  kickoff: null,
};
window.overlayState = state;

function programmeTime() {
  return state.media_s === null ? null : state.media_s - state.delay;
}

function label(ev) {
  const words = LABELS[ev.type] || ev.type.replace(/_/g, " ").toUpperCase();
  if (!WITH_MINUTE.has(ev.type)) return [words, null];
  const start = state.kickoff === null ? 0 : state.kickoff;
  return [words, `${Math.max(1, Math.floor((ev.t - start) / 60) + 1)}'`];
}

function render(ev) {
  const [words, minute] = label(ev);
  const el = ev.element || document.createElement("div");
  el.className = `lower-third ${ev.type}`;
  el.dataset.id = ev.id;
  el.dataset.revision = String(ev.revision);
  el.replaceChildren();
  const bar = document.createElement("div"); bar.className = "bar";
  const text = document.createElement("div"); text.className = "label"; text.textContent = words;
  el.append(bar, text);
  if (minute) {
    const m = document.createElement("div"); m.className = "minute"; m.textContent = minute;
    el.append(m);
  }
  return el;
}

function withdraw(ev) {
  const el = ev.element;
  ev.element = null;
  if (!el) return;
  el.classList.add("leaving");
  setTimeout(() => el.remove(), 400);
}

function receive(pub) {
  if (typeof pub.seq === "number") state.lastSeq = Math.max(state.lastSeq, pub.seq);
  if (typeof pub.id !== "string" || typeof pub.t !== "number") return;
  const known = state.events.get(pub.id);
  if (known && known.revision >= pub.revision) return;            // a duplicate or an old revision
  const ev = known || { id: pub.id, shown: false, popped_at: null, element: null };
  Object.assign(ev, { revision: pub.revision, status: pub.status, type: pub.type, t: pub.t });
  state.events.set(ev.id, ev);
  if (ev.type === "kickoff" && ev.status !== "cancelled" && state.kickoff === null) state.kickoff = ev.t;
  if (ev.status === "cancelled") withdraw(ev);
  else if (ev.element) render(ev);                                  // corrected in place, never re-popped
}

function tick() {
  const now = programmeTime();
  document.body.dataset.programme = now === null ? "" : now.toFixed(3);
  if (now === null) return;
  for (const ev of state.events.values()) {
    if (ev.shown || ev.status === "cancelled" || ev.t > now) continue;
    ev.shown = true;
    if (!SHOWN_TYPES.has(ev.type) || now - ev.t > state.hold) continue;   // not a graphic, or joined late
    ev.popped_at = performance.now();
    ev.element = render(ev);
    document.getElementById("lower-thirds").append(ev.element);
    state.pops.push({ id: ev.id, revision: ev.revision, t: ev.t, programme_s: now });
  }
  for (const ev of state.events.values()) {
    if (ev.element && performance.now() - ev.popped_at > state.hold * 1000) withdraw(ev);
  }
}

async function pollClock() {
  try {
    const reply = await fetch(`clock?token=${encodeURIComponent(token)}`, { cache: "no-store" });
    if (reply.ok) {
      state.media_s = (await reply.json()).media_s;
    }
  } catch (err) { /* the next poll tries again */ }
  setTimeout(pollClock, CLOCK_POLL_MS);
}

function connect() {
  const ws = new WebSocket(state.config.feed);
  ws.onopen = () => ws.send(JSON.stringify({ token, from_seq: state.lastSeq }));
  ws.onmessage = (msg) => {
    const data = JSON.parse(msg.data);
    if (data.error) { state.feed = `error: ${data.error}`; return; }
    if (data.welcome !== undefined) { state.feed = "live"; return; }
    if (data.heartbeat) { state.feed = "live"; return; }
    receive(data);
  };
  ws.onclose = () => {
    if (!state.feed.startsWith("error")) state.feed = "reconnecting";
    document.body.dataset.feed = state.feed;
    setTimeout(connect, RECONNECT_MS);
  };
}

async function start() {
  const reply = await fetch(`config?token=${encodeURIComponent(token)}`, { cache: "no-store" });
  state.config = await reply.json();
  state.delay = params.has("delay") ? Number(params.get("delay")) : state.config.delay_s;
  state.hold = params.has("hold") ? Number(params.get("hold")) : state.config.hold_s;
  pollClock();
  connect();
  setInterval(() => { tick(); document.body.dataset.feed = state.feed; }, TICK_MS);
}

start();
