"""Panels mounted as tabs beside the detail panel: sinks, extra feeds, scheduled sessions."""
