"""`matchsync train --match MEDIA --reference TRUTH [--trainee NAME]` or `matchsync train --demo`."""
from __future__ import annotations

import argparse
import getpass
import sys
import threading
from concurrent.futures import Future
from pathlib import Path

import platformdirs

from core.errors import InputError
from core.live.demo import DEMO_SEED

APP_NAME = "matchsync"
DEMO_MINUTES = 5.0


def build_parser() -> argparse.ArgumentParser:
    """Options of the training mode."""
    p = argparse.ArgumentParser(prog="matchsync train", description="Replay a match and train a logger on it.")
    p.add_argument("--match", help="recorded match: a media file (audio, or video with audio)")
    p.add_argument("--reference", help="the match's reference events (JSONL, like truth.jsonl)")
    p.add_argument("--demo", action="store_true", help="train on a simulated match with a rendered pitch video")
    p.add_argument("--trainee", default=getpass.getuser(), help="whose sessions these are")
    p.add_argument("--seed", type=int, default=DEMO_SEED, help="demo match seed")
    p.add_argument("--minutes", type=float, default=DEMO_MINUTES, help="demo match length")
    p.add_argument("--store", help="training sessions file (default: training.sqlite in the user data folder)")
    p.add_argument("--reports", help="folder for HTML reports (default: training-reports in the user data folder)")
    p.add_argument("--config", help="folder for the training keys (default: the user config folder)")
    return p


def check_inputs(args: argparse.Namespace) -> None:
    """Fail early, naming the file, when the match or reference cannot be used."""
    from core.ingest.media import open_media
    from core.training.material import read_reference

    if args.demo:
        return
    if not args.match or not args.reference:
        raise InputError("--match/--reference", "give both (a media file and its reference events), or --demo")
    read_reference(args.reference)
    with open_media(args.match) as media:
        next(iter(media))


def prepare(args: argparse.Namespace):
    """The training material (run on a worker thread: the window shows meanwhile)."""
    from core.training.material import load_demo, load_match

    if args.demo:
        folder = Path(platformdirs.user_cache_dir(APP_NAME)) / f"training-demo-{args.seed}-{args.minutes:g}"
        return load_demo(args.seed, args.minutes, folder)
    return load_match(args.match, args.reference)


def in_background(fn, *args) -> Future:
    """Run ``fn`` on a daemon thread (closing the window never waits for a long detection pass)."""
    future: Future = Future()

    def work() -> None:
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # handed to the GUI thread, which shows it
            future.set_exception(exc)

    threading.Thread(target=work, daemon=True).start()
    return future


def main(argv: list[str]) -> int:
    """Run the training window until it closes; bad input is one line on stderr and exit status 2."""
    args = build_parser().parse_args(argv)
    try:
        check_inputs(args)
        return run(args)
    except InputError as exc:
        print(f"matchsync train: {exc}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.theme import apply_theme
    from app.keymap import Keymap
    from app.training.hotkeys import TRAINING_ACTIONS
    from app.training.window import TrainingSetup, TrainingWindow
    from core.detect.offline import detect_file
    from core.training.store import TrainingStore

    data = Path(platformdirs.user_data_dir(APP_NAME))
    config = Path(args.config) if args.config else Path(platformdirs.user_config_dir(APP_NAME))
    store = TrainingStore(Path(args.store) if args.store else data / "training.sqlite")
    material = in_background(prepare, args)
    detections: list[Future] = []

    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)
    window = TrainingWindow(TrainingSetup(args.trainee, store, Keymap(config / "training-keys.json", TRAINING_ACTIONS),
                                          Path(args.reports) if args.reports else data / "training-reports"))
    window.show()

    def poll() -> None:
        if material.done() and window.material is None:
            try:
                window.load(material.result())
            except InputError as exc:
                window.alert.setText(str(exc))
                window.video.message = f"cannot load the match: {exc}"
                window.video.update()
                watcher.stop()
                return
            detections.append(in_background(detect_file, window.material.audio_path))
        if detections and detections[0].done():
            watcher.stop()
            try:
                window.set_detections(detections[0].result().anchors)
            except InputError as exc:
                window.alert.setText(f"no MatchSync detections (assist and comparison off): {exc}")

    watcher = QTimer()
    watcher.timeout.connect(poll)
    watcher.start(100)
    code = app.exec()
    store.close()
    return code
