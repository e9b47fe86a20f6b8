"""sayso: local dictation, read-aloud and rewrite on global hotkeys."""

__version__ = "0.1.0"

import os as _os

# CTranslate2's OpenMP threads spin while they wait for work.  When other
# programs keep the CPUs busy, a spinning thread holds a core its partner
# needs, and one transcription was seen to take 18 s instead of 1 (2 cores,
# 2 busy processes).  Waiting passively costs ~5 % on an idle machine.  It
# must be set before ctranslate2 is imported; a value you set is kept.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
