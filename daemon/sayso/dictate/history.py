"""Recent dictations, so text that could not be typed is never lost.

Kept in memory, and undelivered text is also appended to a 0600 file in
``$XDG_RUNTIME_DIR/sayso/`` (RAM-backed, per user, gone at logout) so it can
be reached with ``sayso history`` even if the daemon stops.  A recording
that no engine could transcribe (a remote server down, ``stt.fallback =
"none"``) is kept as a 0600 WAV file beside it, named in its entry's
``audio``, until ``sayso ctl dictate retry`` transcribes it.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

from ..core.paths import runtime_dir  # noqa: F401  (re-exported)
from ..core.pcm import SAMPLE_RATE

_LOGGER = logging.getLogger(__name__)


@dataclass
class Entry:
    time: float
    text: str
    delivered: bool
    method: str = ""
    error: str = ""
    audio: str = ""  # a kept recording's WAV file, to transcribe again ("" = none)
    raw: str = ""  # the transcript before dictate.cleanup ("" = text is the transcript)


class History:
    def __init__(self, size: int = 20, path: Optional[Path] = None) -> None:
        self.entries: collections.deque = collections.deque(maxlen=max(1, size))
        self.path = path
        self._lock = threading.Lock()

    def add(self, text: str, delivered: bool, method: str = "", error: str = "", audio: str = "",
            raw: str = "") -> Entry:  # fmt: skip
        entry = Entry(time.time(), text, delivered, method, error, audio, raw if raw != text else "")
        with self._lock:
            self.entries.append(entry)
            if not delivered and self.path is not None:
                self._append_undelivered(entry)
        return entry

    def _append_undelivered(self, entry: Entry) -> None:
        if self.path is None:  # add() only calls this with a path
            return
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
        except OSError as err:
            _LOGGER.warning("Cannot save undelivered dictation to %s: %s", self.path, err.strerror)

    def keep_recording(self, samples, error: str) -> Entry:
        """Keep a recording that was not transcribed: its WAV beside the file, an entry naming it."""
        base = self.path.parent if self.path is not None else runtime_dir()
        path = save_wav(base / "recordings" / f"{time.time_ns()}.wav", samples)
        return self.add("", delivered=False, error=error, audio=str(path))

    def pending_recording(self, when: Optional[float] = None) -> Optional[dict]:
        """The newest kept recording whose file is still there (from the file: it outlives the
        daemon), or the one kept at *when* (its entry's ``time``)."""
        entries = read_undelivered(self.path) if self.path is not None else [asdict(e) for e in self.entries]
        for entry in reversed(entries):
            if when is not None and entry.get("time") != when:
                continue
            if entry.get("audio") and Path(entry["audio"]).is_file():
                return entry
        return None

    def resolve_recording(self, entry: dict) -> None:
        """*entry*'s recording was transcribed: drop it and its file."""
        audio = entry.get("audio", "")
        with self._lock:
            self.entries = collections.deque((e for e in self.entries if e.audio != audio), maxlen=self.entries.maxlen)
            if self.path is not None:
                kept = [e for e in read_undelivered(self.path) if e.get("audio") != audio]
                _rewrite(self.path, kept)
        try:
            os.unlink(audio)
        except OSError:
            pass

    def last(self) -> Optional[Entry]:
        with self._lock:
            return self.entries[-1] if self.entries else None

    def as_list(self) -> list:
        with self._lock:
            return [asdict(e) for e in self.entries]


def read_undelivered(path: Path) -> list:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def _rewrite(path: Path, entries: list) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(e, ensure_ascii=False) + "\n" for e in entries)
    os.replace(tmp, path)


def save_wav(path: Path, samples, rate: int = SAMPLE_RATE) -> Path:
    """16-bit mono WAV of float32 *samples*, mode 0600 in a 0700 folder."""
    from ..core.pcm import wav_bytes

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(wav_bytes(samples, rate))
    return path


def forget(path: Path, entries: list) -> int:
    """Drop *entries* (matched by time and recording) from the kept file, and their recordings; how many."""
    gone = {(e.get("time"), e.get("audio", "")) for e in entries}
    kept = read_undelivered(path)
    left = [e for e in kept if (e.get("time"), e.get("audio", "")) not in gone]
    if len(left) != len(kept):
        _rewrite(path, left)
    for entry in entries:
        if entry.get("audio"):
            try:
                os.unlink(entry["audio"])
            except OSError:
                pass
    return len(kept) - len(left)
