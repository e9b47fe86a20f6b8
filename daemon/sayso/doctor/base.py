"""What every ``sayso doctor`` check shares: the Check line, the context, small probes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Mapping, Optional

from ..core.config_types import Config

OK, WARN, FAIL = "OK", "WARN", "FAIL"
SILENCE_DBFS = -60.0
INPUT_GROUP_FIX = (
    "add yourself to the 'input' group: sudo usermod -aG input $USER, then log out and in "
    '(or use hotkeys.backend = "external" with desktop shortcuts)'
)


@dataclass
class Check:
    name: str
    status: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status:<4}  {self.name:<12} {self.detail}"
        return text + (f" -> fix: {self.fix}" if self.fix and self.status != OK else "")


@dataclass
class Context:
    config: Config
    env: Mapping[str, str]
    session: str
    load_models: bool = True


def run_tool(cmd: list, env: Mapping[str, str], timeout: float = 5.0) -> Optional[subprocess.CompletedProcess]:
    """Run a probe command; None when it is not installed or hangs."""
    if shutil.which(cmd[0]) is None:
        return None
    try:
        return subprocess.run(cmd, env=dict(env), capture_output=True, text=True, timeout=timeout)
    except (subprocess.TimeoutExpired, OSError):
        return None


def first_line(text: str) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def level_dbfs(audio) -> float:
    """Peak level of float samples in dB full scale (-inf for digital silence)."""
    import numpy as np

    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    return 20.0 * float(np.log10(peak)) if peak > 0 else float("-inf")


def record_level(config: Config, seconds: float = 1.0) -> tuple:
    """Record *seconds* through the daemon's own capture path; (dBFS, device name)."""
    import sounddevice as sd

    from ..audio.capture import Recorder, resolve_device

    device = resolve_device(config.audio.input_device, "input")
    name = sd.query_devices(device, "input")["name"] if device is not None else "system default"
    rec = Recorder(config.audio)
    try:
        rec.start()
        time.sleep(seconds)
        audio = rec.stop().audio
    finally:
        rec.close()
    return level_dbfs(audio), name


def device_names(kind: str) -> str:
    import sounddevice as sd

    key = "max_input_channels" if kind == "input" else "max_output_channels"
    try:
        names = [f"{i}: {d['name']}" for i, d in enumerate(sd.query_devices()) if d[key] > 0]
    except Exception:
        return "none"
    return ", ".join(names[:8]) or "none"


def now() -> float:
    return time.monotonic()


def is_macos() -> bool:
    return sys.platform == "darwin"
