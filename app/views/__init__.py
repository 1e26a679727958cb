"""Widgets of the console window; each observes values and never changes the session itself."""
