"""Smoke test of the packaged app: build it (or reuse a build), then run the built console offscreen on the
demo for 20 s from an empty home, and check it exits 0 after a healthy run.

Checked: exit status 0; the session file appears in the platform's user data folder and holds logged
events and proposals; the demo played at the asked pace (the DSP kept up); the saved settings sit in the
user config folder with the current schema; no library is loaded from the source tree's virtualenv; the
bundled PortAudio loads (a device source that does not exist is named as missing, the console stays up);
a batch command (`detect` on a bundled clip) works. Prints the build size and the start time (process
start to the first processed frame on screen: the first playback position the console stores).

    .venv/bin/python packaging/smoke_test.py [--reuse] [--build-dir DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN_S = 20.0
SPEED = 10.0
"""The demo plays 10x live pace so 20 s cover over 3 minutes of match: logged events and proposals."""
ANALYSIS_RATE = 16000


def build(build_dir: Path) -> Path:
    """Run packaging/build.sh into ``build_dir``; the built executable."""
    started = time.monotonic()
    subprocess.run([str(ROOT / "packaging" / "build.sh")], check=True, env={**os.environ, "BUILD_DIR": str(build_dir)})
    print(f"build: {time.monotonic() - started:.0f} s")
    return build_dir / "dist" / "matchsync" / "matchsync"


def folder_mb(folder: Path) -> float:
    """Size of every file under ``folder`` in MB."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def read_session(path: Path) -> dict:
    """Position (samples), event, proposal and decision counts of a session file, read-only."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        position = db.execute("SELECT value FROM meta WHERE key = 'position'").fetchone()
        counts = {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
                  for table in ("events", "proposals", "decisions")}
    finally:
        db.close()
    return {"position": int(position[0]) if position else 0, **counts}


def loaded_libraries(pid: int) -> set[str]:
    """Paths of the files a running process has mapped."""
    try:
        lines = Path(f"/proc/{pid}/maps").read_text().splitlines()
    except OSError:
        return set()
    return {line.split(None, 5)[5] for line in lines if len(line.split(None, 5)) == 6 and "/" in line}


def run_console(exe: Path, home: Path) -> tuple[list[str], float | None, set[str], subprocess.CompletedProcess]:
    """The demo for RUN_S seconds; (problems, seconds to the first stored position, mapped files, process)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_DATA_HOME": str(home / "data"), "XDG_CACHE_HOME": str(home / "cache")}
    session = home / "data" / "matchsync" / "sessions" / "demo-7.sqlite"
    started = time.monotonic()
    proc = subprocess.Popen([str(exe), "console", "--speed", str(SPEED), "--auto-accept", "0.95",
                             "--quit-after", str(RUN_S)], cwd=home, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first_frame_s = None
    mapped: set[str] = set()
    while proc.poll() is None and time.monotonic() - started < RUN_S + 120:
        if first_frame_s is None and session.exists():
            try:
                if read_session(session)["position"] > 0:
                    first_frame_s = time.monotonic() - started
                    mapped = loaded_libraries(proc.pid)
            except sqlite3.OperationalError:
                pass  # the console is still creating the file
        time.sleep(0.02)
    if proc.poll() is None:
        proc.kill()
    out, err = proc.communicate(timeout=30)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    problems = []
    if done.returncode != 0:
        problems.append(f"console exit status {done.returncode}: {err.strip()[-400:]}")
    if not session.exists():
        return problems + [f"no session file at {session}"], first_frame_s, mapped, done
    state = read_session(session)
    media_s = state["position"] / ANALYSIS_RATE
    print(f"console: {media_s:.0f} s of the demo played in {RUN_S:g} s at {SPEED:g}x; {state['events']} logged "
          f"events, {state['proposals']} proposals, {state['decisions']} decisions in {session}")
    if media_s < 0.6 * SPEED * RUN_S:
        problems.append(f"only {media_s:.0f} s of the demo played (expected about {SPEED * RUN_S:.0f} s)")
    if state["events"] == 0 or state["proposals"] == 0:
        problems.append("no logged events or no proposals in the session")
    settings = home / "config" / "matchsync" / "settings.json"
    try:
        saved = json.loads(settings.read_text())
        if saved.get("schema") is None or saved.get("console", {}).get("auto_accept") != 0.95:
            problems.append(f"{settings}: unexpected content {saved}")
    except (OSError, ValueError) as exc:
        problems.append(f"settings not saved in the user config folder ({exc})")
    return problems, first_frame_s, mapped, done


def check_self_contained(exe: Path, mapped: set[str]) -> list[str]:
    """Qt's offscreen plugin comes from the bundle; nothing from the build machine's virtualenv."""
    bundle = str(exe.parent)
    problems = [f"loaded from the virtualenv: {p}" for p in sorted(mapped) if "/.venv/" in p]
    if not any(p.startswith(bundle) and p.endswith("libqoffscreen.so") for p in mapped):
        problems.append("Qt's offscreen platform plugin was not loaded from the bundle")
    return problems


def check_portaudio(exe: Path, home: Path) -> list[str]:
    """A missing device is reported by PortAudio itself (so the bundled library loaded), and the console
    stays up; the library is mapped from the bundle."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_DATA_HOME": str(home / "data"), "PULSE_SERVER": "unix:/nonexistent/socket"}
    proc = subprocess.Popen([str(exe), "console", "--source", "device:no-such-card", "--quit-after", "4"],
                            cwd=home, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    mapped: set[str] = set()
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        mapped |= loaded_libraries(proc.pid)
        time.sleep(0.2)
    if proc.poll() is None:
        proc.kill()
    _, err = proc.communicate(timeout=30)
    problems = []
    if proc.returncode != 0 or "no 'no-such-card' sound input device found" not in err:
        problems.append(f"device source: exit {proc.returncode}, stderr {err.strip()[-300:]!r}")
    pa = sorted(p for p in mapped if "libportaudio" in p)
    print(f"portaudio: {', '.join(pa) or 'not seen mapped'}")
    if not any(p.startswith(str(exe.parent)) for p in pa):
        problems.append("PortAudio was not loaded from the bundle")
    return problems


def check_batch(exe: Path, home: Path) -> list[str]:
    """`matchsync detect` on a clip bundled in resources/ writes its anchors."""
    clip = exe.parent / "_internal" / "resources" / "audio" / "runswift" / "whistle_1_metre.flac"
    out = home / "anchors.jsonl"
    done = subprocess.run([str(exe), "detect", str(clip), "--out", str(out)], cwd=home, capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0 or not out.exists() or not out.read_text().strip():
        return [f"detect: exit {done.returncode}, stderr {done.stderr.strip()[-300:]!r}"]
    print(f"detect: {len(out.read_text().splitlines())} anchor line(s) from the bundled clip")
    return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="test the existing build instead of building")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "packaging" / "build")
    args = parser.parse_args()
    exe = args.build_dir / "dist" / "matchsync" / "matchsync"
    if not (args.reuse and exe.exists()):
        exe = build(args.build_dir)
    print(f"build size: {folder_mb(exe.parent):.0f} MB ({exe.parent})")
    with tempfile.TemporaryDirectory(prefix="matchsync-smoke-") as tmp:
        home = Path(tmp)
        problems, first_frame_s, mapped, _ = run_console(exe, home)
        problems += check_self_contained(exe, mapped)
        problems += check_portaudio(exe, home)
        problems += check_batch(exe, home)
    print(f"start time: {first_frame_s:.1f} s (process start to the first processed frame on screen)"
          if first_frame_s is not None else "start time: no frame was processed")
    for problem in problems:
        print(f"FAIL: {problem}")
    print("smoke test: " + ("FAILED" if problems else "passed"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
