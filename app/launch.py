"""`matchsync [console] [--source ...]`: build the console from the command line and run it under qasync."""
from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import re
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import platformdirs

from core.errors import InputError
from core.live.demo import DEMO_MINUTES, DEMO_SEED

APP_NAME = "matchsync"
GIL_SWITCH_S = 0.0005
"""How long the DSP worker may keep the GIL while the GUI thread waits for it (Python's default is 5 ms:
every socket, timer and paint callback of the GUI loop could wait that long behind a solve)."""


def build_parser() -> argparse.ArgumentParser:
    """Options of the console."""
    p = argparse.ArgumentParser(prog="matchsync console", description="The MatchSync operator console.")
    p.add_argument("--source", default="demo",
                   help="demo (default), a media FILE, device[:NAME] or a stream URL (udp://, srt://, ...)")
    p.add_argument("--events", help="logger events JSONL, followed as it grows (default: the demo's logger)")
    p.add_argument("--channel", type=int, help="input channel (0-based) of a file or device")
    p.add_argument("--ltc-channel", type=int, metavar="N",
                   help="a file source's channel N carries LTC: left out of the analysed mix, read into publications")
    p.add_argument("--session", help="session file (default: one per source in the user data folder)")
    p.add_argument("--operator", default=getpass.getuser(), help="name recorded with each decision")
    p.add_argument("--config", help="folder for settings and keys (default: the user config folder)")
    p.add_argument("--speed", type=float, default=1.0, help="play recorded sources this many times live pace")
    p.add_argument("--seed", type=int, default=DEMO_SEED, help="demo match seed")
    p.add_argument("--minutes", type=float, default=DEMO_MINUTES, help="demo match length")
    p.add_argument("--auto-accept", type=float, metavar="CONF",
                   help="accept proposals at or above this confidence automatically (saved as a setting)")
    p.add_argument("--intake-token", action="append", metavar="TOKEN",
                   help="accept logger events (and WebSocket feed clients) over the network with this token "
                        "(repeat for several)")
    p.add_argument("--intake-host", default="127.0.0.1", help="address the intake listens on")
    p.add_argument("--intake-ws-port", type=int, default=8765, help="WebSocket intake port (0: any free one)")
    p.add_argument("--intake-tcp-port", type=int, default=8766, help="TCP JSON-lines intake port")
    p.add_argument("--sink", action="append", metavar="SPEC",
                   help="publish to this sink: jsonl:PATH, webhook:URL, mqtt:HOST:PORT/PREFIX, ws:[HOST:]PORT "
                        "(repeat for several)")
    p.add_argument("--feed", action="append", metavar="FILE",
                   help="an extra feed of the same match (media file, read at live pace beside a file source): "
                        "its offset and drift are shown (repeat for several)")
    p.add_argument("--serve-status", metavar="FILE|URL",
                   help="list the sessions of a `matchsync serve --schedule` run from its status file or "
                        "http://HOST:PORT/status, and attach to one read-only")
    p.add_argument("--serve-token", help="bearer token of a status URL")
    p.add_argument("--serve-sessions", metavar="FOLDER",
                   help="the serve run's session folder (default: the status file's folder)")
    p.add_argument("--follow", metavar="nats://HOST:PORT[,HOST:PORT...]/COMPETITION/MATCH",
                   help="read-only follow mode: list one match's publications as they arrive from its NATS "
                        "JetStream stream (newest revision per event, stream sequence, lag); no source or session")
    p.add_argument("--exit-at-end", action="store_true", help="quit when a recorded source has played out")
    p.add_argument("--quit-after", type=float, metavar="SECONDS",
                   help="close the console cleanly after this many seconds (smoke tests, unattended demos)")
    return p


def session_path(args: argparse.Namespace) -> Path:
    """The session file: the given one, or this source's current session (a finished one is archived)."""
    if args.session:
        return Path(args.session)
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", f"demo-{args.seed}" if args.source == "demo"
                  else Path(args.source).name)[:80]
    folder = Path(platformdirs.user_data_dir(APP_NAME)) / "sessions"
    path = folder / f"{slug}.sqlite"
    if path.exists():
        from core.session.store import SessionStore
        store = SessionStore(path)
        finished = store.get_meta("finished") == "1"
        store.close()
        if finished:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            for suffix in ("", "-wal", "-shm"):
                old = Path(f"{path}{suffix}")
                if old.exists():
                    old.rename(folder / f"{slug}-{stamp}.sqlite{suffix}")
    return path


def open_input(args: argparse.Namespace, resume_n: int):
    """The source and logger feed; InputError says what is wrong."""
    from core.live.feeds import FileFeed, QueueFeed
    from core.live.sources import open_source

    if args.ltc_channel is not None:
        from core.ltc.tap import LtcFileSource
        if args.source == "demo" or args.source.startswith("device") or "://" in args.source:
            raise InputError("--ltc-channel", "LTC is read from a media file --source")
        source, feed = LtcFileSource(args.source, args.ltc_channel, args.speed, resume_n, args.channel), None
    elif args.source == "demo":
        from core.live.demo import open_demo
        source, feed = open_demo(args.seed, args.minutes, args.speed, resume_n)
    else:
        source, feed = open_source(args.source, args.speed, resume_n, args.channel), None
    if args.events:
        if not Path(args.events).is_file():
            raise InputError(args.events, "events file not found")
        feed = FileFeed(args.events)
    if args.intake_token:
        feed = QueueFeed(feed)
    return source, feed


def launch(argv: list[str]) -> int:
    """Run the console (or the training mode) until its window closes."""
    if argv and argv[0] == "train":
        from app.training.launch import main as train_main
        return train_main(argv[1:])
    args = build_parser().parse_args(argv[1:] if argv and argv[0] == "console" else argv)
    try:
        if args.follow:
            from app.follow_mode import run_follow
            return run_follow(args)
        return run_console(args)
    except InputError as exc:
        print(f"matchsync console: {exc}", file=sys.stderr)
        return 2


def run_console(args: argparse.Namespace) -> int:
    """Open the session, the input and the window; run the Qt and asyncio loops together."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.event_loop import ConsoleEventLoop
    from app.keymap import Keymap
    from app.settings import load_settings, save_settings
    from app.theme import apply_theme
    from app.window import ConsoleSetup, ConsoleWindow
    from core.live.sources import PacedSource
    from core.live.worker import DspWorker
    from core.publish.service import parse_sink
    from core.session.store import SessionStore
    from core.sync.engine import EngineProcess

    sys.setswitchinterval(GIL_SWITCH_S)
    bound_gc_pauses()
    sinks = [parse_sink(spec) for spec in args.sink or ()]
    if any(spec.kind == "ws" for spec in sinks) and not args.intake_token:
        raise InputError("--sink", "a WebSocket feed sink needs a token for its clients (--intake-token SECRET)")
    feeds = open_feeds(args) if args.feed else None
    status = follow_serve(args) if args.serve_status else None
    store = SessionStore(session_path(args))
    resume_n = int(store.get_meta("position", "0"))
    config = Path(args.config) if args.config else Path(platformdirs.user_config_dir(APP_NAME))
    settings_path = config / "settings.json"
    settings = load_settings(settings_path)
    if args.auto_accept is not None:
        settings = replace(settings, auto_accept=args.auto_accept).validated()
        save_settings(settings_path, settings)
    problem = None
    worker = None
    try:
        source, feed = open_input(args, resume_n)
        replayed = isinstance(source, PacedSource)  # recorded audio is replayed up to where it stopped
        worker = DspWorker(source, EngineProcess(source.rate), feed, origin_n=0 if replayed else resume_n)
    except InputError as exc:
        if not (args.source == "device" or args.source.startswith("device:")):
            raise
        problem = f"{exc} — the console stays up; choose another source and restart"
        print(f"matchsync console: {problem}", file=sys.stderr)
    store.set_meta("source", args.source)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)
    window = ConsoleWindow(ConsoleSetup(worker, store, args.operator, settings, settings_path,
                                        Keymap(config / "keys.json"), title=args.source, problem=problem))
    if args.exit_at_end:
        window.ended.connect(window.close)
    if args.quit_after is not None:
        QTimer.singleShot(int(args.quit_after * 1000), window.close)
    window.show()
    loop = ConsoleEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        intake, commit = start_intake(args, window, worker.feed) if worker is not None and args.intake_token \
            else (None, None)
        publishing = start_publishing(window, sinks, tuple(args.intake_token or ())) if sinks else None
        if commit is not None and publishing is not None:
            commit.listeners.append(publishing.on_stored)
        if feeds is not None:
            mount_feeds(window, feeds)
        if status is not None:
            mount_sessions(window, status)
        loop.run_forever()
        if publishing is not None:
            loop.run_until_complete(publishing.close())
        if feeds is not None:
            feeds.stop()
        if status is not None:
            status.stop()
        if intake is not None:
            loop.run_until_complete(intake.close())
    if worker is not None:
        worker.engine.close()
    store.close()
    return 0


def bound_gc_pauses() -> None:
    """Freeze what survives each full pass of the cyclic garbage collector (``gc.freeze``), so the next
    full pass reads only the objects made since: its pause stays short however many events the session
    holds (a pass over a flood's tens of thousands of events held every thread for 150 ms). Cycles among
    frozen objects are never collected; the console's long-lived data (events, rows, proposals) has none. A full
    pass runs first, so the garbage already there (imports leave some cycles) is collected, not frozen."""
    gc.collect()
    gc.freeze()
    gc.callbacks.append(_freeze_after_full_pass)


def _freeze_after_full_pass(phase: str, info: dict) -> None:
    if phase == "stop" and info["generation"] == 2:
        gc.freeze()


def start_intake(args: argparse.Namespace, window, feed):
    """Serve the logger intake on the GUI thread's asyncio loop: each valid event is stored in the session
    (so it is never lost once acknowledged; events arriving together share one commit, written by the
    window's session writer off the GUI thread), then handed to the worker. Returns the server and its
    group commit."""
    from app.intake_commit import IntakeCommit
    from core.intake.server import IntakeConfig, IntakeItem, IntakeServer

    commit = IntakeCommit(window.book, feed, lambda: window.head_n, window.writer)

    async def on_event(item: IntakeItem) -> None:
        await commit.add(item.event)

    server = IntakeServer(IntakeConfig(tuple(args.intake_token), args.intake_host, args.intake_ws_port,
                                       args.intake_tcp_port), on_event)

    async def open_endpoints() -> None:
        try:
            await server.start()
        except OSError as exc:
            window.status.alert.setText(f"intake: cannot listen ({exc})")
            print(f"matchsync console: intake: cannot listen ({exc})", file=sys.stderr)
            return
        window.status.alert.setText("intake listening on " + ", ".join(f"{h}:{p}" for h, p in
                                                                        server.addresses()))

    asyncio.ensure_future(open_endpoints())
    return server, commit


def start_publishing(window, sinks, tokens: tuple[str, ...]):
    """Publish the session through the sinks on the GUI thread's asyncio loop; show their health.
    ``tokens`` are the ones network loggers use; a WebSocket feed sink's clients present them too."""
    from app.panels.publishing import ConsolePublishing
    from app.panels.sinks import SinksPanel
    from core.publish.service import Publishing

    publishing = ConsolePublishing(window, Publishing(window.store.path, window.store.path.stem, sinks,
                                                      feed_tokens=tokens, fps=window.settings.fps),
                                   getattr(window.worker.source, "track", None) if window.worker else None)
    window.add_panel("SINKS", SinksPanel(publishing))
    asyncio.ensure_future(publishing.start())
    return publishing


def open_feeds(args: argparse.Namespace):
    """The alignment worker for ``--feed`` files beside a file source (it starts with the window)."""
    from app.panels.feed_alignment import FeedAlignmentWorker

    if not Path(args.source).is_file():
        raise InputError("--feed", "extra feeds are aligned beside a file --source (not demo, a device or a stream)")
    return FeedAlignmentWorker(args.source, args.feed, args.channel)


def mount_feeds(window, feeds) -> None:
    """Show the feeds panel and start aligning up to the window's playhead."""
    from app.panels.feeds import FeedsPanel

    window.add_panel("FEEDS", FeedsPanel(feeds))
    feeds.start(lambda: window.head_n / window.rate)


def follow_serve(args: argparse.Namespace):
    """The follower of ``--serve-status`` (it starts with the window)."""
    from app.panels.serve_status import StatusFollower

    return StatusFollower(args.serve_status, args.serve_token, args.serve_sessions)


def mount_sessions(window, status) -> None:
    """Show the sessions panel and start polling the serve run's status."""
    from app.panels.sessions import SessionsPanel

    window.add_panel("SESSIONS", SessionsPanel(status))
    status.start()
