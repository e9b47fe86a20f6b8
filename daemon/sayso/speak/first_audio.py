"""Fast first audio for read aloud: how long the first chunk may be, warm-up.

Speech starts once the first chunk is synthesised, and synthesis time grows
with the chunk's length (about 2.2 ms per character for the bundled voice on
a 2-core x86 machine: a 53-character sentence takes 120-150 ms).  So the
first chunk is as long as this machine synthesises within
:data:`FIRST_SYNTH_MS`, measured by the voice's
:class:`~sayso.speak.engines.piper.SynthSpeed`, and never longer than
``speak.first_chunk_chars``: on a fast machine the first sentence stays
whole, on a slow one it starts with a phrase of a few words.  The rest of
the sentence is synthesised while that phrase plays.

:func:`warm_pipeline` runs at load so that the first reading pays for no
first-time work: onnxruntime's buffers, the speed estimate, the sentence
segmenter, the markdown parser and the number and date tables.
"""

from __future__ import annotations

import logging
import time

from ..core.config_types import SpeakConfig
from .engines.piper import SynthSpeed, Voice
from .sentences import FIRST_MIN_CHARS, Chunk, chunks
from .voices import VoiceProfile

log = logging.getLogger(__name__)

# Time to first audio = text preparation (under 30 ms even for 100,000
# characters) + synthesis of the first chunk + hand-off to the audio callback
# (at most one 20 ms block).  The synthesis gets 80 ms of the 200 ms target:
# the first chunk may then take 2.5 times as long as usual (another process
# busy on this 2-core machine) and the first audio is still in time.
FIRST_SYNTH_MS = 80.0

# exercises the markdown parser, the sentence segmenter and the number, date,
# money and time rules once, so their tables and caches are loaded
WARM_TEXT = (
    "# Warm up\n\nOn 2024-05-14 at 3:30 pm, Dr. Rivera paid $4,200 (12.5% more) for 8 items. "
    "Is that right?\n\n- Yes, see https://example.com/page.\n"
)


def first_chunk_limit(
    config_chars: int, speed: SynthSpeed, rate: float = 1.0, budget_ms: float = FIRST_SYNTH_MS
) -> int:
    """Most characters for the first chunk: what fits *budget_ms*, at most *config_chars*.

    *rate* is the speaking rate: slower speech is more audio per character,
    so more synthesis.  0 when *config_chars* is 0 (the first sentence is not
    cut); never below :data:`~sayso.speak.sentences.FIRST_MIN_CHARS` (about two
    words) otherwise.
    """
    if config_chars <= 0:
        return 0
    return min(config_chars, max(FIRST_MIN_CHARS, speed.chars_within(budget_ms * rate)))


def pause_after(profile: VoiceProfile, chunk: Chunk) -> int:
    """Milliseconds of silence after *chunk* (not the last one).

    A "phrase" chunk was cut between two words of a clause: the voice's own
    trailing and leading silence (about 200 ms) is the gap, nothing is added.
    """
    if chunk.end == "phrase":
        return 0
    return profile.pause_ms(chunk.kind, chunk.end)


def warm_pipeline(voice: Voice, cfg: SpeakConfig) -> None:
    """Warm the voice and the text pipeline for *voice*'s language."""
    voice.warm()
    start = time.perf_counter()
    parts = list(chunks(WARM_TEXT, voice.profile.language, cfg.emoji, cfg.first_chunk_chars))
    log.debug("Text pipeline warm in %.0f ms (%d chunks)", (time.perf_counter() - start) * 1000, len(parts))
    log.info(
        "First chunk up to %d characters (%.1f ms of synthesis per character)",
        first_chunk_limit(cfg.first_chunk_chars, voice.speed), voice.speed.ms_per_char,
    )  # fmt: skip
