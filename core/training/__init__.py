"""Training mode for loggers (plain Python, no Qt).

clock.py        PlaybackClock: the media position of a replay at live pace (pause, seek, an injectable time source)
scoring.py      matching a trainee's log against the reference: hits, misses, extras, wrong types, lateness, F1
calibration.py  reaction calibration: a sequence of whistles and beeps, and the trainee's lateness from taps
material.py     TrainingMaterial: a recorded match (audio, reference, optional video) or the simulator's demo
report.py       the end-of-session report (trainee beside MatchSync's corrected times) as a dict
html.py         that report as one self-contained HTML file with inline SVG plots
store.py        trainees and their sessions in SQLite
"""
