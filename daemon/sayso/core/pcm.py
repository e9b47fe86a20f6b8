"""16-bit PCM for audio that leaves the process (a Wyoming or HTTP server, a kept recording).

The scale is 32768, the one every decoder here divides by (PyAV, numpy in
faster-whisper, Wyoming peers): audio decoded from a 16-bit file comes back
sample for sample, so a server transcribes exactly what the local engine
would (with 32767 every sample shrank by 1/32768, enough to change a word
or a full stop).
"""

from __future__ import annotations

import io
import wave

import numpy as np

# The one sample rate of speech in sayso: capture, VAD, speech to text, kept recordings.
SAMPLE_RATE = 16000


def to_pcm16(audio: np.ndarray) -> bytes:
    """float32 in [-1, 1] -> little-endian 16-bit PCM (rounded, clipped)."""
    scaled = np.round(np.asarray(audio, dtype=np.float32) * 32768.0)
    return np.clip(scaled, -32768, 32767).astype("<i2").tobytes()


def wav_bytes(audio: np.ndarray, rate: int) -> bytes:
    """A 16-bit mono WAV file of float32 *audio*."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(to_pcm16(audio))
    return buf.getvalue()
