"""Recent dictations, so text that could not be typed is never lost.

Kept in memory, and undelivered text is also appended to a 0600 file in
``$XDG_RUNTIME_DIR/sayso/`` (RAM-backed, per user, gone at logout) so it can
be reached with ``sayso history`` even if the daemon stops.
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

_LOGGER = logging.getLogger(__name__)


@dataclass
class Entry:
    time: float
    text: str
    delivered: bool
    method: str = ""
    error: str = ""


def runtime_dir(env=os.environ) -> Path:
    base = env.get("XDG_RUNTIME_DIR") or f"/tmp/sayso-{os.getuid()}"
    path = Path(base) / "sayso"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


class History:
    def __init__(self, size: int = 20, path: Optional[Path] = None) -> None:
        self.entries: collections.deque = collections.deque(maxlen=max(1, size))
        self.path = path
        self._lock = threading.Lock()

    def add(self, text: str, delivered: bool, method: str = "", error: str = "") -> Entry:
        entry = Entry(time.time(), text, delivered, method, error)
        with self._lock:
            self.entries.append(entry)
            if not delivered and self.path is not None:
                self._append_undelivered(entry)
        return entry

    def _append_undelivered(self, entry: Entry) -> None:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
        except OSError as err:
            _LOGGER.warning("Cannot save undelivered dictation to %s: %s", self.path, err.strerror)

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
