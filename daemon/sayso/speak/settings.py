"""What read-aloud is configured with, and where it keeps its state (the speaking rate)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..core.config_types import Config, SpeakConfig
from ..core.paths import state_home


def state_path(env=None) -> Path:
    env = os.environ if env is None else env
    return state_home(env) / "sayso" / "speak.json"


@dataclass(frozen=True)
class ReadAloudSettings:
    """The config read-aloud reads: its section, the output device and ``general.session``."""

    speak: SpeakConfig
    output_device: str = ""  # audio.output_device
    session: str = "auto"  # general.session (the app passes the session it worked out)

    @classmethod
    def of(cls, config: Config) -> ReadAloudSettings:
        return cls(config.speak, config.audio.output_device, config.general.session)
