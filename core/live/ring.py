"""A preallocated single-producer, single-consumer ring of float32 samples that counts overruns."""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class RingStats:
    """Counters a status bar shows: blocks that overran the ring and the samples lost to it."""

    written: int
    read: int
    overruns: int
    lost_samples: int


class RingBuffer:
    """Holds the newest ``capacity`` samples; a writer that laps the reader overwrites the oldest.

    The writer (an audio callback) only copies and counts. Sample indices are absolute: a sample
    lost to an overrun keeps its place on the media clock, so the reader sees a gap, never a shift.
    """

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError("ring capacity must be positive")
        self.capacity = capacity
        self._buf = np.zeros(capacity, dtype=np.float32)
        self._lock = threading.Lock()
        self._space = threading.Condition(self._lock)
        self._written = 0
        self._read = 0
        self._overruns = 0
        self._lost = 0

    def write(self, samples: np.ndarray) -> None:
        """Copy ``samples`` in; if the reader is too far behind, drop its oldest unread samples."""
        data = np.asarray(samples, dtype=np.float32).reshape(-1)
        n = len(data)
        with self._lock:
            if n > self.capacity:
                data = data[-self.capacity:]
            start = (self._written + n - len(data)) % self.capacity
            first = min(len(data), self.capacity - start)
            self._buf[start:start + first] = data[:first]
            self._buf[:len(data) - first] = data[first:]
            self._written += n
            behind = self._written - self.capacity - self._read
            if behind > 0:
                self._overruns += 1
                self._lost += behind
                self._read += behind

    def write_when_free(self, samples: np.ndarray, stop: threading.Event) -> None:
        """Wait until ``samples`` fit without overwriting unread ones (file sources catching up)."""
        with self._space:
            while (self._written - self._read + len(samples) > self.capacity and not stop.is_set()):
                self._space.wait(0.05)
        self.write(samples)

    def read(self) -> tuple[int, np.ndarray]:
        """Every unread sample: (absolute index of the first, a copy of the samples)."""
        with self._lock:
            start, end = self._read, self._written
            out = np.empty(end - start, dtype=np.float32)
            a = start % self.capacity
            first = min(len(out), self.capacity - a)
            out[:first] = self._buf[a:a + first]
            out[first:] = self._buf[:len(out) - first]
            self._read = end
            self._space.notify_all()
        return start, out

    def backlog(self) -> int:
        """Samples written but not yet read."""
        with self._lock:
            return self._written - self._read

    def stats(self) -> RingStats:
        """A snapshot of the counters."""
        with self._lock:
            return RingStats(self._written, self._read, self._overruns, self._lost)
