"""Whole-file writes: atomic for regular files, and never replacing a device or a pipe."""
from __future__ import annotations

import os
import stat
import threading

from core.files import write_text_atomic


def test_a_regular_file_is_replaced_whole(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("old contents that are longer than the new ones\n")
    write_text_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]  # no temporary left behind


def test_a_pipe_is_written_through_and_stays_a_pipe(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    write_text_atomic(fifo, '{"kind": "whistle"}\n')
    reader.join(timeout=10)
    assert received == ['{"kind": "whistle"}\n']
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # renaming over it would have made it a plain file


def test_detect_writes_through_a_pipe_given_as_out(tmp_path, shared_data):
    from core.cli import main as cli_main

    fifo = tmp_path / "anchors"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    code = cli_main(["detect", str(shared_data / "sfx/tuxfootball/refwhistletwice.wav"), "--out", str(fifo)])
    reader.join(timeout=30)
    assert code == 0 and stat.S_ISFIFO(fifo.stat().st_mode)
    assert received and received[0].count('"kind": "whistle"') == 2
