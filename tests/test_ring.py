"""The ring buffer between an audio callback and the DSP worker."""
from __future__ import annotations

import threading

import numpy as np

from core.live.ring import RingBuffer


def test_reads_return_what_was_written_across_the_wrap() -> None:
    ring = RingBuffer(10)
    signal = np.arange(37, dtype=np.float32)
    got, starts = [], []
    for i in range(0, 37, 7):
        ring.write(signal[i:i + 7])
        start, data = ring.read()
        starts.append(start)
        got.append(data)
    assert np.array_equal(np.concatenate(got), signal)
    assert starts == list(range(0, 37, 7))
    assert ring.stats().overruns == 0


def test_overrun_drops_the_oldest_and_keeps_sample_indices() -> None:
    ring = RingBuffer(10)
    ring.write(np.arange(8, dtype=np.float32))
    ring.write(np.arange(8, 14, dtype=np.float32))  # 14 unread in a ring of 10: the first 4 are lost
    start, data = ring.read()
    assert start == 4
    assert np.array_equal(data, np.arange(4, 14, dtype=np.float32))
    stats = ring.stats()
    assert (stats.overruns, stats.lost_samples, stats.written, stats.read) == (1, 4, 14, 14)


def test_a_block_larger_than_the_ring_keeps_its_newest_samples() -> None:
    ring = RingBuffer(5)
    ring.write(np.arange(12, dtype=np.float32))
    start, data = ring.read()
    assert start == 7 and np.array_equal(data, np.arange(7, 12, dtype=np.float32))


def test_writer_that_waits_for_space_never_loses_samples() -> None:
    ring = RingBuffer(64)
    stop = threading.Event()
    signal = np.arange(10_000, dtype=np.float32)

    def produce() -> None:
        for i in range(0, len(signal), 50):
            ring.write_when_free(signal[i:i + 50], stop)

    producer = threading.Thread(target=produce)
    producer.start()
    got = []
    while sum(len(g) for g in got) < len(signal):
        got.append(ring.read()[1])
    producer.join()
    assert np.array_equal(np.concatenate(got), signal)
    assert ring.stats().overruns == 0
