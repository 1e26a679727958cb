"""The training window for loggers (issue 7): replay a match at live pace, log it with hotkeys, get a report.

launch.py       `matchsync train ...`: options, the demo or a recorded match, the window under Qt
hotkeys.py      the training action table (one key per event type, and the controls) and its saved remapping
window.py       TrainingWindow: video beside the console's spectrogram timeline, the keys on screen, the log
video_pane.py   the video pane (frames and the demo's captions)
sound.py        sound to the default output device, or a plain reason why there is none
calibration.py  the reaction calibration dialog (tap along to whistles and beeps)
progress.py     the progress view: a trainee's accuracy over sessions
remap.py        the remapping dialog for the training keys
"""
