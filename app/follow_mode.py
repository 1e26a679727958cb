"""`matchsync --follow nats://HOST:PORT/COMPETITION/MATCH`: the console in read-only follow mode, a window
that lists one match's publications as they arrive from its JetStream stream (no source, no session)."""
from __future__ import annotations

import argparse
import asyncio
import sys

from app.panels.stream_follow import FollowPanel, StreamFollower, parse_follow_url


def open_follow_window(follower: StreamFollower) -> FollowPanel:
    """The follow view as a top-level window."""
    panel = FollowPanel(follower)
    t = follower.target
    panel.setWindowTitle(f"MatchSync — follow {t.competition}/{t.match} (read-only)")
    panel.resize(1100, 520)
    return panel


def run_follow(args: argparse.Namespace) -> int:
    """Follow ``args.follow`` until the window closes; a malformed URL raises InputError before any
    window opens."""
    target = parse_follow_url(args.follow)
    import qasync
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)
    follower = StreamFollower(target)
    window = open_follow_window(follower)
    if args.quit_after is not None:
        QTimer.singleShot(int(args.quit_after * 1000), window.close)
    window.show()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        follower.start()
        loop.run_forever()
        loop.run_until_complete(follower.stop())
    return 0
