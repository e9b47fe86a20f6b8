"""What the dictation pipeline hands around: its result, the remote engine, the model slot."""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from dataclasses import dataclass
from typing import Callable, Optional

from ..core.config_types import AudioConfig, Config, DictateConfig
from ..core.errors import ModelError, SaysoError
from ..core.memory import release_freed_memory
from ..core.states import DictationStatus

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class DictationSettings:
    """The config the dictation pipeline reads: its sections, not the whole file."""

    dictate: DictateConfig
    audio: AudioConfig
    hotkey: str = ""  # hotkeys.dictate: pressing its keys is not the user typing
    vocabulary: tuple = ()  # stt.vocabulary: spelled as the user spells it by dictate.cleanup

    @classmethod
    def of(cls, config: Config) -> DictationSettings:
        return cls(config.dictate, config.audio, config.hotkeys.dictate, tuple(config.stt.vocabulary))


@dataclass
class DictationResult:
    text: str  # what was inserted ("" when nothing)
    status: DictationStatus  # typed | empty | too_short | cancelled | failed (compares equal to those strings)
    method: str = ""
    error: str = ""


@dataclass
class RemoteStt:
    """The remote speech engine behind the streamer, and what to do when it fails."""

    engine: object  # a sayso.core.interfaces.SpeechToText (its streaming session is the streamer)
    fallback: str = "local"  # stt.fallback: "local" transcribes here, "none" keeps the recording


class ModelSlot:
    """A model loaded in the background; ``get()`` waits for it."""

    def __init__(self, loader: Callable[[], object], name: str) -> None:
        self.name = name
        self._future: concurrent.futures.Future = concurrent.futures.Future()
        threading.Thread(target=self._load, args=(loader,), daemon=True, name=f"load-{name}").start()

    def _load(self, loader) -> None:
        try:
            self._future.set_result(loader())
            release_freed_memory()  # loading and warming left freed buffers behind
        except BaseException as err:  # reported by get()
            self._future.set_exception(err)
            _LOGGER.error("%s", err if isinstance(err, SaysoError) else f"cannot load the {self.name}: {err}")

    @property
    def ready(self) -> bool:
        return self._future.done() and self._future.exception() is None

    def get(self, timeout: Optional[float] = None):
        try:
            return self._future.result(timeout)
        except SaysoError:
            raise
        except concurrent.futures.TimeoutError:
            raise ModelError(f"the {self.name} is still loading") from None
        except Exception as err:
            raise ModelError(f"cannot load the {self.name}: {err}") from None


def _done(value) -> concurrent.futures.Future:
    fut: concurrent.futures.Future = concurrent.futures.Future()
    fut.set_result(value)
    return fut
