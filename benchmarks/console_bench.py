"""Console benchmark: the demo at live pace, offscreen, with the real threads, for a while (2 min default).

Prints spectrogram frames per second, the longest event-loop stall, CPU use, the DSP backlog, how long
after a whistle's onset its box is on screen, and how long after an event and its whistle are both
available the proposal is on screen.

    .venv/bin/python benchmarks/console_bench.py [--seconds 120] [--seed 7] [--start-s 0]
"""
from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QElapsedTimer, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.keymap import Keymap  # noqa: E402
from app.launch import bound_gc_pauses  # noqa: E402
from app.settings import ConsoleSettings  # noqa: E402
from app.theme import apply_theme  # noqa: E402
from app.window import ConsoleSetup, ConsoleWindow  # noqa: E402
from core.live.demo import open_demo  # noqa: E402
from core.live.worker import DspWorker  # noqa: E402
from core.session.store import SessionStore  # noqa: E402
from core.sync.engine import SyncEngine  # noqa: E402

PROBE_MS = 5


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def operate(window: ConsoleWindow) -> None:
    """For the screenshot: an operator accepts, nudges and rejects a few pending events with the keys'
    handlers, and leaves the newest one selected."""
    pending = [r.event.id for r in window.book.rows.values() if r.status == "pending" and r.proposal]
    for eid, handler in zip(pending[:-1], ("do_accept", "do_nudge_fwd_second", "do_accept", "do_reject")):
        window.select(eid)
        getattr(window, handler)()
    if pending:
        window.select(pending[-1])
    window.refresh_events()
    window.timeline.paint(window.head_n)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=120.0)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--minutes", type=float, default=90.0)
    p.add_argument("--start-s", type=float, default=0.0, help="skip to this media time first (fast)")
    p.add_argument("--screenshot", help="save the window as this PNG at the end (the README's picture)")
    args = p.parse_args()

    app = QApplication([])
    apply_theme(app)
    tmp = Path(tempfile.mkdtemp())
    source, feed = open_demo(args.seed, args.minutes, 1.0, resume_n=int(args.start_s * 16000))
    worker = DspWorker(source, SyncEngine(source.rate), feed)
    window = ConsoleWindow(ConsoleSetup(worker, SessionStore(tmp / "bench.sqlite"), "bench",
                                        ConsoleSettings(deadline_s=None if not args.screenshot else 60.0),
                                        tmp / "settings.json",
                                        Keymap(tmp / "keys.json"), "benchmark"))
    window.resize(1600, 1000)
    window.show()

    rate = source.rate
    stalls: list[float] = []
    backlog: list[tuple[float, float]] = []
    busy: list[float] = []
    box_latency: dict[str, list[float]] = {"referee": [], "other": []}
    referee_onsets = [round(b["t"] * rate) for b in source.match.meta["whistle_blasts"]]
    proposal_latency: list[float] = []
    seen: set[str] = set()
    boxed: set[int] = set()
    probe = QElapsedTimer()
    probe.start()
    last = [0]

    def on_probe() -> None:
        now = probe.elapsed()
        if last[0]:
            stalls.append(now - last[0] - PROBE_MS)
        last[0] = now

    def wall_of(n: int) -> float | None:
        if source.live_from_wall is None or n < source.live_from_n:
            return None
        return source.live_from_wall + (n - source.live_from_n) / rate

    def on_applied(u) -> None:
        now = time.monotonic()
        backlog.append((now, u.backlog_samples / rate))
        busy.append(u.busy_s)
        for a in u.anchors:
            t = wall_of(a.start)
            if a.kind == "whistle" and t is not None and a.start not in boxed:  # a revision is not a new box
                boxed.add(a.start)
                referee = any(abs(a.start - n) <= 0.1 * rate for n in referee_onsets)
                box_latency["referee" if referee else "other"].append(now - t)
        for prop in u.proposals:
            row = window.book.rows.get(prop.event_id)
            if prop.event_id in seen or row is None or prop.anchor is None or prop.basis != "whistle":
                continue
            seen.add(prop.event_id)
            ready = wall_of(max(prop.anchor.end, row.arrived_n))
            if ready is not None:
                proposal_latency.append(now - ready)

    gc_pauses: list[float] = []
    gc_started = [0.0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            gc_pauses.append(time.perf_counter() - gc_started[0])

    bound_gc_pauses()  # as the console does
    gc.callbacks.append(on_gc)
    window.applied.connect(on_applied)
    timer = QTimer()
    timer.setInterval(PROBE_MS)
    timer.timeout.connect(on_probe)
    timer.start()

    while source.live_from_wall is None or not worker.updates.empty():  # skipping ahead (not measured)
        app.processEvents()
        time.sleep(0.002)
    frames0, cpu0, wall0 = window.timeline.frames_painted, cpu_seconds(), time.monotonic()
    gui0 = time.thread_time()
    stalls.clear()
    backlog.clear()
    busy.clear()
    gc_pauses.clear()
    QTimer.singleShot(int(args.seconds * 1000), app.quit)
    app.exec()
    wall = time.monotonic() - wall0
    cpu = cpu_seconds() - cpu0
    gui = time.thread_time() - gui0
    frames = window.timeline.frames_painted - frames0
    gc.callbacks.remove(on_gc)  # the passes below are the bench's own, not the console's
    frozen, collectable = gc.get_freeze_count(), gc.collect()  # a full pass never looks at frozen objects
    gc.unfreeze()
    kept = gc.collect()  # cyclic garbage that freezing kept alive
    if args.screenshot:
        operate(window)
        window.grab().save(args.screenshot)
    window.shutdown()

    half = len(backlog) // 2
    early = statistics.mean(b for _, b in backlog[:half]) if half else 0.0
    late = statistics.mean(b for _, b in backlog[half:]) if half else 0.0
    print(f"ran {wall:.1f} s of the demo (seed {args.seed}) from {args.start_s:.0f} s, live pace, offscreen")
    print(f"spectrogram frames per second: {frames / wall:.1f}")
    print(f"longest event-loop stall: {max(stalls, default=0):.0f} ms "
          f"(99th percentile {sorted(stalls)[int(0.99 * len(stalls))] if stalls else 0:.0f} ms)")
    print(f"CPU use: {100 * cpu / wall:.0f} % of one core (all threads); GUI thread {100 * gui / wall:.0f} %, "
          f"{1000 * gui / max(frames, 1):.1f} ms per spectrogram frame")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"DSP backlog: max {1000 * max((b for _, b in backlog), default=0):.0f} ms, "
          f"mean first half {1000 * early:.0f} ms, second half {1000 * late:.0f} ms")
    for who, what in (("referee", "referee whistle"), ("other", "other whistle (fans', distant: decided at its end "
                                                                  "when doubtful)")):
        if box_latency[who]:
            print(f"{what} onset to box on screen: median {1000 * statistics.median(box_latency[who]):.0f} ms, "
                  f"max {1000 * max(box_latency[who]):.0f} ms ({len(box_latency[who])})")
    if proposal_latency:
        print(f"event and whistle both available to proposal on screen: median "
              f"{1000 * statistics.median(proposal_latency):.0f} ms, max {1000 * max(proposal_latency):.0f} ms "
              f"({len(proposal_latency)} proposals)")
    print(f"garbage collections: {len(gc_pauses)}, longest {1000 * max(gc_pauses, default=0):.0f} ms (any thread)")
    print(f"gc.freeze: {frozen} objects frozen; cyclic garbage among them, never collected: {kept} objects "
          f"(ordinary garbage collected at the end: {collectable})")
    print(f"longest DSP step: {1000 * max(busy, default=0):.0f} ms; "
          f"events {len(window.book.rows)}, overruns {source.ring.stats().overruns}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
