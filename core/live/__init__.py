"""Live intake: sources played at live pace, the ring buffer they fill, logger-event feeds, the DSP worker."""
