"""Headless serving: one match session without a window (session), the sources and logger feeds it
takes (inputs), fixtures read from a schedule file (schedule), the scheduler that starts and stops a
session per fixture (scheduler), its state reports (status), and a clock tests can speed up (clock)."""
