"""Where sayso keeps things: the XDG base directories, worked out in one place.

Every function takes the environment (a mapping) so tests and the service
pass their own; none creates anything but :func:`runtime_dir`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

APP = "sayso"


def home(env: Mapping[str, str] = os.environ) -> Path:
    return Path(env.get("HOME", "~")).expanduser()


def config_home(env: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_CONFIG_HOME`` or ``~/.config``."""
    return Path(env.get("XDG_CONFIG_HOME") or str(home(env) / ".config"))


def data_home(env: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_DATA_HOME`` or ``~/.local/share``."""
    return Path(env.get("XDG_DATA_HOME") or str(home(env) / ".local" / "share"))


def cache_home(env: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_CACHE_HOME`` or ``~/.cache``."""
    return Path(env.get("XDG_CACHE_HOME") or str(home(env) / ".cache"))


def state_home(env: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_STATE_HOME`` or ``~/.local/state``."""
    return Path(env.get("XDG_STATE_HOME") or str(home(env) / ".local" / "state"))


def runtime_base(env: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_RUNTIME_DIR`` (RAM-backed, per user), or ``/tmp/sayso-UID`` without one."""
    return Path(env.get("XDG_RUNTIME_DIR") or f"/tmp/sayso-{os.getuid()}")


def runtime_dir(env: Mapping[str, str] = os.environ) -> Path:
    """``runtime_base()/sayso``, created 0700."""
    path = runtime_base(env) / APP
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path
