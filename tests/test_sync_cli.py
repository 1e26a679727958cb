"""`matchsync sync` as a real process on a simulated match: the contract's output, --explain, bad input."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.main", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def match(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sync_cli") / "match"
    done = _run("simulate", "--seed", "21", "--minutes", "3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_sync_writes_every_logged_event_once_with_contract_fields(match, tmp_path):
    out = tmp_path / "corrected.jsonl"
    done = _run("sync", str(match / "match.wav"), "--events", str(match / "logged.jsonl"), "--out", str(out),
                "--explain")
    assert done.returncode == 0, done.stderr
    logged = _rows(match / "logged.jsonl")
    rows = _rows(out)
    assert [r["id"] for r in rows] == [r["id"] for r in logged]
    for got, want in zip(rows, logged):
        assert got["type"] == want["type"] and got["t_logged"] == want["t"]
        assert 0.0 <= got["confidence"] <= 1.0 and got["basis"] in ("whistle", "crowd", "clock", "none")
        assert (got["anchor_t"] is None) == (got["basis"] in ("clock", "none"))
    assert "clock map:" in done.stderr and done.stderr.count("why:") == len(rows)
    # the whistle-anchored events land on the truth's whistles
    truth = {r["id"]: r for r in _rows(match / "truth.jsonl")}
    anchored = [r for r in rows if r["basis"] == "whistle" and r["id"] in truth and truth[r["id"]]["type"] == r["type"]]
    assert anchored and all(abs(r["t"] - truth[r["id"]]["t"]) <= 1.0 for r in anchored)


def test_bad_lines_are_named_and_valid_events_still_synced(match, tmp_path):
    logged = (match / "logged.jsonl").read_text().splitlines()
    first = json.loads(logged[0])
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([
        *logged[1:],  # fine
        logged[0],  # out of order (it is the earliest)
        json.dumps({**first, "t": first["t"] + 5}),  # duplicate id
        json.dumps({"id": "z1", "type": "bicycle_kick", "t": 10.0}),  # unknown type
        "{not json",
        json.dumps({"id": "z2", "type": "corner", "t": "soon"}),
        json.dumps({"id": "late", "type": "corner", "t": 99999.0}),  # after the audio ends
    ]) + "\n")
    out = tmp_path / "corrected.jsonl"
    done = _run("sync", str(match / "match.wav"), "--events", str(bad), "--out", str(out))
    assert done.returncode == 0, done.stderr
    err = done.stderr
    for words in ("out of order", "duplicate id", "unknown type 'bicycle_kick'", "not JSON", "t must be a number",
                  "after the audio ends"):
        assert words in err, words
    assert str(bad) in err and "Traceback" not in err
    ids = [r["id"] for r in _rows(out)]
    assert sorted(ids) == sorted([json.loads(x)["id"] for x in logged] + ["late"])
    late = [r for r in _rows(out) if r["id"] == "late"][0]
    assert late["t"] <= 3 * 60 + 1 and late["confidence"] == 0.0


@pytest.mark.parametrize("content", ["\n{broken\n", '{"id": "a", "type": "nope", "t": 1}\n'])
def test_no_usable_event_exits_2_with_one_line(match, tmp_path, content):
    events = tmp_path / "events.jsonl"
    events.write_text(content)
    done = _run("sync", str(match / "match.wav"), "--events", str(events), "--out", str(tmp_path / "o.jsonl"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(events) in lines[0] and "no usable logged event" in lines[0]
    assert not (tmp_path / "o.jsonl").exists()


def test_missing_files_exit_2(match, tmp_path):
    done = _run("sync", str(tmp_path / "nope.wav"), "--events", str(match / "logged.jsonl"), "--out", "-")
    assert done.returncode == 2 and "nope.wav" in done.stderr and "Traceback" not in done.stderr
    done = _run("sync", str(match / "match.wav"), "--events", str(tmp_path / "nope.jsonl"), "--out", "-")
    assert done.returncode == 2 and "nope.jsonl" in done.stderr.strip() and len(done.stderr.strip().splitlines()) == 1
