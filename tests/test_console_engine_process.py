"""The console's sync engine runs in a child process: fed the same anchors and events in the same order, it
issues exactly the proposals the engine in-process issues, with the same clock map."""
from __future__ import annotations

from core.sim.match import build_match
from core.sync.engine import EngineProcess, SyncEngine

RATE = 16_000


def test_the_engine_process_issues_what_the_engine_issues() -> None:
    match = build_match(4, 12.0)
    truth = sorted(match.truth, key=lambda e: e.t)
    logged = sorted(match.logged, key=lambda e: e.t)
    local, remote = SyncEngine(RATE), EngineProcess(RATE)
    try:
        issued = []
        for step in range(0, 780, 20):  # 20 s of audio at a time: its whistles, then what was logged by then
            anchors = [a for a in match_anchors(truth) if step <= a.start / RATE < step + 20]
            events = [e for e in logged if step <= e.t < step + 20]
            for engine in (local, remote):
                engine.add_anchors(anchors)
                for event in events:
                    engine.add_event(event)
            mine, theirs = local.advance((step + 20) * RATE), remote.advance((step + 20) * RATE)
            assert theirs == mine, step
            assert remote.clock_map() == local.clock_map()
            issued += theirs
        assert remote.advance(780 * RATE) == []  # nothing new: nothing to solve
        assert len({p.event_id for p in issued}) == len(logged) > 20
        assert any(p.basis == "whistle" for p in issued) and any(p.revision > 0 for p in issued)
    finally:
        remote.close()
    assert not remote._process.is_alive()


def match_anchors(truth):
    """A whistle anchor at each true whistled event (what a perfect detector would report)."""
    from core.model import Anchor
    return [Anchor("whistle", int(e.t * RATE), int((e.t + 0.6) * RATE), 0.9, (3000.0,))
            for e in truth if e.type in ("foul", "kickoff", "offside", "half_time", "full_time")]
