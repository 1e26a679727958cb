"""The console's bound on garbage-collector pauses (``gc.freeze``) must not keep garbage alive forever."""
from __future__ import annotations

import gc
import weakref

from app.launch import _freeze_after_full_pass, bound_gc_pauses


class _Node:
    other: _Node


def test_garbage_made_before_the_first_freeze_is_collected_not_frozen():
    gc.disable()  # no automatic pass may collect the cycle first
    try:
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        gone = weakref.ref(a)
        del a, b
        assert gone() is not None  # a cycle: only the collector frees it
        bound_gc_pauses()
        assert gone() is None
    finally:
        gc.callbacks.remove(_freeze_after_full_pass)
        gc.unfreeze()
        gc.enable()
