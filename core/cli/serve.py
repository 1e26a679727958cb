"""`matchsync serve`: intake, detectors, sync engine and sinks without a window, for one match
(``--source``) or a match day (``--schedule``). Ctrl-C or SIGTERM stops cleanly, everything flushed."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from dataclasses import replace
from pathlib import Path

import platformdirs

from core.clock import FRAME_RATES
from core.errors import InputError
from core.ltc.tap import check_ltc_channel
from core.overlay.server import OverlayServer
from core.serve.clock import Clock
from core.serve.inputs import check_source, parse_demo
from core.serve.scheduler import Scheduler
from core.serve.schedule import load_schedule
from core.serve.session import MatchSession, SessionConfig
from core.serve.sinks import parse_any_sink
from core.serve.status import StatusBoard, StatusServer


SCHEDULE_HARD_LIMIT_S = 4 * 3600.0
"""A scheduled session stops after this long when neither --hard-limit nor a full-time event does."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the serve command."""
    p = sub.add_parser("serve", help="run sessions headless (one source, or a schedule of fixtures)",
                       description=__doc__)
    p.add_argument("--source", help="demo, demo:SEED[:MINUTES], a media FILE or a stream URL")
    p.add_argument("--schedule", help="fixtures (.ics or .csv) to serve, each at its kickoff")
    p.add_argument("--events", help="logger events JSONL, followed as it grows")
    p.add_argument("--intake-port", type=int, help="TCP JSON-lines port for network loggers (0: any free)")
    p.add_argument("--intake-ws-port", type=int, help="WebSocket port for network loggers (0: any free)")
    p.add_argument("--host", default="127.0.0.1", help="address the intake binds (default 127.0.0.1)")
    p.add_argument("--token", action="append", default=[], help="token loggers and feed clients present")
    p.add_argument("--sink", action="append", default=[], metavar="SPEC",
                   help="jsonl:PATH, webhook:URL, mqtt:HOST:PORT/PREFIX, ws:[HOST:]PORT, "
                        "nats:HOST:PORT[,...]/COMPETITION[/MATCH] (repeatable)")
    p.add_argument("--session", help="session file (one source) or folder (schedule)")
    p.add_argument("--name", help="session name (default: from the source)")
    p.add_argument("--speed", type=float, default=1.0, help="play recorded sources this many times live pace")
    p.add_argument("--auto-accept", type=float, default=0.9, metavar="CONF",
                   help="accept proposals at or above this confidence at once (default 0.9)")
    p.add_argument("--deadline", type=float, default=10.0, metavar="S",
                   help="accept the best proposal after it waited this many media seconds (default 10)")
    p.add_argument("--margin", type=float, default=30.0, metavar="S",
                   help="stop this many media seconds after the full-time event (default 30)")
    p.add_argument("--hard-limit", type=float, metavar="S",
                   help="stop a session after this many seconds (default: none for one source, "
                        "4 hours for a schedule)")
    p.add_argument("--lead", type=float, default=300.0, metavar="S",
                   help="start each scheduled session this many seconds before kickoff (default 300)")
    p.add_argument("--status", help="status JSON file (default: in the session folder for a schedule)")
    p.add_argument("--status-port", type=int,
                   help="serve the status JSON at http://HOST:PORT/status (needs --token; 0: any free)")
    p.add_argument("--fps", default="25", choices=sorted(FRAME_RATES), help="timecode frame rate")
    p.add_argument("--ltc-channel", type=int, metavar="N",
                   help="the source file's channel N (0-based) carries LTC: left out of the analysed mix, "
                        "each publication carries the LTC timecode at its media time")
    p.add_argument("--overlay-port", type=int,
                   help="serve the broadcast overlay page (an OBS browser source) on this port; needs a ws: sink")
    p.add_argument("--playout-delay", type=float, default=0.0, metavar="S",
                   help="seconds the programme video runs behind the analysed audio (for the overlay)")
    p.set_defaults(func=run)
    p.error = lambda message: _usage_error(message)  # one line, exit 2


def _usage_error(message: str) -> None:
    print(f"matchsync serve: {message}", file=sys.stderr)
    raise SystemExit(2)


def _check(args: argparse.Namespace) -> None:
    if (args.source is None) == (args.schedule is None):
        raise InputError("serve", "give exactly one of --source or --schedule")
    for flag, port in (("--intake-port", args.intake_port), ("--intake-ws-port", args.intake_ws_port),
                       ("--status-port", args.status_port)):
        if port is None:
            continue
        if not 0 <= port < 65536:
            raise InputError(flag, "must be a port number from 0 to 65535")
        if not args.token:
            raise InputError("--token", f"{flag} needs a token (--token SECRET)")
        if args.schedule and flag != "--status-port":
            raise InputError(flag, "network intake serves one match; a schedule takes events from each "
                                   "fixture's source or events file")
    if args.overlay_port is not None:
        if args.schedule:
            raise InputError("--overlay-port", "the overlay follows one match; use it with --source")
        if not 0 <= args.overlay_port < 65536:
            raise InputError("--overlay-port", "must be a port number from 0 to 65535")
        if not any(parse_any_sink(spec).kind == "ws" and parse_any_sink(spec).port for spec in args.sink):
            raise InputError("--overlay-port", "the overlay reads the WebSocket feed: add --sink ws:PORT "
                                               "with a fixed port")
        if args.playout_delay < 0:
            raise InputError("--playout-delay", "must not be negative")
    if args.ltc_channel is not None:
        if args.schedule or parse_demo(args.source) or "://" in args.source:
            raise InputError("--ltc-channel", "LTC is read from a media file --source")
        if args.ltc_channel < 0:
            raise InputError("--ltc-channel", "must be a channel number from 0")
    if not 0 < args.speed <= 1000:
        raise InputError("--speed", "must be above 0 and at most 1000")
    if not 0 <= args.auto_accept <= 1:
        raise InputError("--auto-accept", "must be a confidence from 0 to 1")
    for name in ("deadline", "margin", "lead"):
        if getattr(args, name) < 0:
            raise InputError(f"--{name}", "must not be negative")
    if args.hard_limit is not None and args.hard_limit <= 0:
        raise InputError("--hard-limit", "must be positive")
    for spec in args.sink:
        parsed = parse_any_sink(spec)
        if parsed.kind == "ws" and not args.token:
            raise InputError("--token", "a WebSocket feed sink needs a token (--token SECRET)")


def template(args: argparse.Namespace, name: str, session_path: Path) -> SessionConfig:
    """Session settings from the command line."""
    return SessionConfig(
        name=name, source=args.source or "", session_path=session_path, sinks=tuple(args.sink),
        events=args.events, speed=args.speed, auto_accept=args.auto_accept, deadline_s=args.deadline,
        margin_s=args.margin, hard_limit_s=args.hard_limit, fps=args.fps, intake_port=args.intake_port,
        intake_ws_port=args.intake_ws_port, intake_host=args.host, tokens=tuple(args.token),
        ltc_channel=args.ltc_channel)


def _data_folder() -> Path:
    return Path(platformdirs.user_data_dir("matchsync")) / "sessions"


async def serve_one(args: argparse.Namespace, clock: Clock) -> int:
    """Serve one source until it ends or a signal arrives."""
    name = args.name or (f"demo-{parse_demo(args.source)[0]}" if parse_demo(args.source)
                         else Path(args.source).stem or "stream")
    path = Path(args.session) if args.session else _data_folder() / f"{name}.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    board = StatusBoard(args.status)
    session: MatchSession

    def on_state(report) -> None:
        board.update(report)
        if report.state == "live" and session.intake is not None:
            intake = session.intake
            host = intake.addresses()[0][0]
            parts = [f"ws {host}:{intake.ws_port}"] if args.intake_ws_port is not None else []
            if args.intake_port is not None:
                parts.append(f"tcp {host}:{intake.tcp_port}")
            print(f"{name} intake {' '.join(parts)}", flush=True)

    session = MatchSession(template(args, name, path), clock, on_state)
    _on_signals(session.stop)
    with _overlay(args, lambda: session.report.media_s if session.report.state == "live" else None):
        async with _status_endpoint(args, board):
            report = await session.run()
    return 0 if report.state == "finished" else 1


@contextlib.contextmanager
def _overlay(args: argparse.Namespace, media_clock):
    """The broadcast overlay page for as long as the session runs, when ``--overlay-port`` asks for it."""
    if args.overlay_port is None:
        yield
        return
    feed = next(spec for spec in map(parse_any_sink, args.sink) if spec.kind == "ws" and spec.port)
    server = OverlayServer(f"ws://{feed.host}:{feed.port}", tuple(args.token), media_clock,
                           delay_s=args.playout_delay, host=args.host, port=args.overlay_port)
    server.start()
    print(f"overlay {server.page_url(args.token[0])}", flush=True)
    try:
        yield
    finally:
        server.close()


async def serve_schedule(args: argparse.Namespace, clock: Clock) -> int:
    """Serve every fixture of the schedule at its time."""
    fixtures = load_schedule(args.schedule)
    for fixture in fixtures:
        check_source(fixture.source)
        for spec in fixture.sinks:
            parse_any_sink(spec)
    folder = Path(args.session) if args.session else _data_folder()
    folder.mkdir(parents=True, exist_ok=True)
    board = StatusBoard(args.status or folder / "schedule-status.json")
    shared = replace(template(args, "", folder), hard_limit_s=args.hard_limit or SCHEDULE_HARD_LIMIT_S)
    scheduler = Scheduler(fixtures, shared, folder, clock, board, args.lead)
    _on_signals(scheduler.stop)
    async with _status_endpoint(args, board):
        reports = await scheduler.run()
    return 0 if all(r.state == "finished" for r in reports) else 1


@contextlib.asynccontextmanager
async def _status_endpoint(args: argparse.Namespace, board: StatusBoard):
    """The HTTP status endpoint for as long as the sessions run, when ``--status-port`` asks for it."""
    if args.status_port is None:
        yield
        return
    server = StatusServer(board, tuple(args.token), args.host, args.status_port)
    await server.start()
    print(f"status http://{args.host}:{server.port}/status", flush=True)
    try:
        yield
    finally:
        await server.close()


def _on_signals(stop) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)


def run(args: argparse.Namespace) -> int:
    """Check the arguments, then serve until done or interrupted."""
    _check(args)
    if args.source is not None:
        check_source(args.source)
        if args.ltc_channel is not None:
            check_ltc_channel(args.source, args.ltc_channel)
        if args.events is not None and not Path(args.events).is_file():
            raise InputError(args.events, "events file not found")
    main = serve_one if args.source is not None else serve_schedule
    return asyncio.run(main(args, Clock()))
