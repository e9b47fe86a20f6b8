"""The screen-reading pipeline: a shot (region, window, screen, clipboard, file) ->
OCR or a description -> read aloud, the clipboard, or both.

Read-aloud is a callable the app passes in (``speak.reader.ReadAloud.speak_text``:
the same voices, controls and Esc). Logs say how much and how long, never what.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Optional

from ..core.config_see import SeeConfig
from ..core.errors import InputError, SaysoError
from .image import Shot
from .sources import from_file, take

_LOGGER = logging.getLogger(__name__)


class ScreenReader:
    def __init__(
        self,
        cfg: SeeConfig,
        clipboard=None,
        notifier=None,
        speak: Optional[Callable[[str], None]] = None,
        display: Optional[str] = None,
        session: str = "x11",
    ) -> None:
        from .ocr.choose import make_ocr

        self.cfg = cfg
        self.clipboard = clipboard
        self.notifier = notifier
        self.speak = speak
        self.display = display
        self.session = session
        self.ocr = make_ocr(cfg.ocr_engine, cfg.language)
        self._describer = None
        self._lock = threading.Lock()
        self._memory = LastPicture()
        #: called once a region capture waits for the drag (the bench and tests drive the mouse then)
        self.on_capture_ready: Optional[Callable[[], None]] = None

    def load(self) -> None:
        self.ocr.load()

    # --- what the actions call -------------------------------------------------
    def read(self, source: str) -> str:
        """Recognise the text of *source* and send it where ``see.read_to`` says."""
        return self._run(lambda: self.read_shot(self._take(source)), self.cfg.read_to)

    def describe(self, source: str) -> str:
        """Short alt text for the picture of *source*, sent where ``see.describe_to`` says; the same
        *source* again within ``see.details_s`` (a second press), or ``details``: the details of
        that same picture."""
        if source == "details" or self._memory.holds(source):
            return self._run(self.describe_details, self.cfg.describe_to)
        return self._run(lambda: self._describe_and_keep(self._take(source)), self.cfg.describe_to)

    def read_file(self, path: str) -> str:
        return self.read_shot(from_file(path))

    def describe_file(self, path: str) -> str:
        return self.describe_shot(from_file(path))

    # --- the steps ---------------------------------------------------------------
    def _take(self, source: str) -> Shot:
        return take(source, self.clipboard, self.display, self.session, self.on_capture_ready)

    def read_shot(self, shot: Shot) -> str:
        result = self.ocr.recognise(shot.image)
        if result.empty:
            raise InputError(f"no text found in the {shot.source} image")
        _LOGGER.info("Read %d characters from a %dx%d %s image in %.2f s", len(result.text), *shot.size,
                     shot.source, result.seconds)  # fmt: skip
        return result.text

    def describe_shot(self, shot: Shot, details: bool = False) -> str:
        started = time.monotonic()
        text = self.describer().describe(shot.image, details)
        _LOGGER.info("Described a %dx%d %s image in %.1f s (%d characters%s)", *shot.size, shot.source,
                     time.monotonic() - started, len(text), ", details" if details else "")  # fmt: skip
        return text

    def _describe_and_keep(self, shot: Shot) -> str:
        text = self.describe_shot(shot)
        self._memory.keep(shot, self.cfg.details_s)
        return text

    def describe_details(self) -> str:
        """The details of the picture described last (then it is forgotten)."""
        shot = self._memory.take()
        if shot is None:
            raise InputError(
                f"no picture described in the last {self.cfg.details_s:.0f} s: describe one first, then ask for details"
            )
        return self.describe_shot(shot, details=True)

    def describer(self):
        with self._lock:
            if self._describer is None:
                from .describe.choose import make_describer

                self._describer = make_describer(self.cfg)
            return self._describer

    def _run(self, produce: Callable[[], str], to: str) -> str:
        try:
            text = produce()
            self.deliver(text, to)
            return text
        except SaysoError as err:
            if self.notifier is not None:
                self.notifier.notify(str(err), urgency="critical")
            raise

    def deliver(self, text: str, to: str) -> None:
        if to in ("clipboard", "both"):
            if self.clipboard is None:
                raise InputError("no clipboard to put the text on")
            self.clipboard.write_text(text, "clipboard")
        if to in ("speak", "both"):
            if self.speak is None:
                raise InputError("read-aloud is not available (see the log for why)")
            self.speak(text)

    def close(self) -> None:
        self._memory.forget()
        self.ocr.close()
        if self._describer is not None:
            self._describer.close()


class LastPicture:
    """The picture described last, in memory only, for its details; forgotten after a while
    (a timer drops the reference), when the details are read, or at close."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shot: Optional[Shot] = None
        self._timer: Optional[threading.Timer] = None

    def keep(self, shot: Shot, seconds: float) -> None:
        self.forget()
        if seconds <= 0:
            return
        timer = threading.Timer(seconds, self.forget)
        timer.daemon = True
        with self._lock:
            self._shot, self._timer = shot, timer
        timer.start()

    def holds(self, source: str) -> bool:
        """Whether a picture of *source* is kept (a second press of the same describe key)."""
        with self._lock:
            return self._shot is not None and self._shot.source == source

    def take(self) -> Optional[Shot]:
        with self._lock:
            shot, self._shot = self._shot, None
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        return shot

    def forget(self) -> None:
        self.take()
