"""Read-aloud into a WAV file (``sayso speak --wav``): the same voices, chunks and pauses."""

from __future__ import annotations

import os
import wave
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from ..core.errors import OutputError
from .engines.piper import to_int16

if TYPE_CHECKING:  # pragma: no cover
    from .reader import ReadAloud


def synthesize_to_wav(
    reader: ReadAloud, text: str, path, voice: Optional[str] = None, rate: Optional[float] = None
) -> float:
    """Write the spoken *text* to a 16-bit mono WAV; returns its duration in seconds."""
    text = reader._prepare(text)
    chosen = reader._choose_voice(text, voice)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frames = 0
    try:
        with open(tmp, "wb") as fh, wave.open(fh, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(chosen.sample_rate)
            parts = reader._chunks(text, chosen, 0)  # no hurry for a first chunk: sentences only
            nxt = next(parts, None)
            while nxt is not None:
                chunk, nxt = nxt, next(parts, None)
                seg = reader._segment(chosen, chunk, rate or reader.rate, last=nxt is None)
                wav.writeframes(to_int16(seg.audio).tobytes())
                frames += len(seg.audio)
        os.replace(tmp, path)
    except OSError as err:
        raise OutputError(f"cannot write {path}: {err.strerror or err}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return frames / chosen.sample_rate
