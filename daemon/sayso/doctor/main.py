"""``sayso doctor``: one line per check, OK / WARN / FAIL, and how to fix it.

Exit status 1 when any check FAILs.  Checks never raise: a crash inside a
check is itself reported as a FAIL line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Optional

from ..core.config import Config, load_config, parse_config_text
from ..core.errors import ExitStatus, SaysoError

OK, WARN, FAIL = "OK", "WARN", "FAIL"
SILENCE_DBFS = -60.0
INPUT_GROUP_FIX = ("add yourself to the 'input' group: sudo usermod -aG input $USER, then log out and in "
                   "(or use hotkeys.backend = \"external\" with desktop shortcuts)")


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


def main(config_path: Optional[Path] = None, load_models: bool = True, env: Mapping[str, str] = os.environ) -> int:
    failed = False
    for check in run_checks(config_path, env, load_models):
        print(check.line(), flush=True)
        failed = failed or check.status == FAIL
    return ExitStatus.ERROR if failed else ExitStatus.SUCCESS


def run_checks(config_path: Optional[Path], env: Mapping[str, str], load_models: bool = True):
    """Yield the checks one by one (the slow ones last)."""
    cfg_check, config = check_config(config_path, env)
    yield cfg_check
    from ..desktop.clipboard import detect_session

    session = config.general.session if config.general.session != "auto" else detect_session(env)
    ctx = Context(config, env, session, load_models)
    from . import checks as dc

    checks: list = [dc.check_session, dc.check_hotkeys, dc.check_microphone, dc.check_speakers,
                    dc.check_clipboard, dc.check_selection, dc.check_typing]
    if load_models:
        checks += [dc.check_speech_model, dc.check_voice]
    checks += [dc.check_rewrite, dc.check_daemon]
    for fn in checks:
        yield _guarded(fn, ctx)
    yield from _remote_checks(ctx)


def _remote_checks(ctx: Context) -> list:
    """The configured remote engines (sayso.doctor.remote), each as a line; never raises."""
    if ctx.config.stt.engine == "local" and ctx.config.speak.engine == "local":
        return []
    from .remote import remote_checks

    try:
        return remote_checks(ctx)
    except Exception as err:  # a broken check must not hide the others
        return [Check("remote", FAIL, f"check crashed: {type(err).__name__}: {err}", "run with --debug and report it")]


def _guarded(fn: Callable, ctx: Context) -> Check:
    name = fn.__name__.replace("check_", "").replace("_", " ")
    try:
        return fn(ctx)
    except SaysoError as err:
        return Check(name, FAIL, str(err).splitlines()[0], "see the message")
    except Exception as err:  # a broken check must not hide the others
        return Check(name, FAIL, f"check crashed: {type(err).__name__}: {err}", "run with --debug and report it")


def check_config(path: Optional[Path], env: Mapping[str, str]) -> tuple:
    try:
        cfg = load_config(path, env)
    except SaysoError as err:
        return Check("config", FAIL, str(err), "edit the file, then 'sayso config check'"), parse_config_text("")
    source = str(getattr(cfg, "source", "") or "")
    if not source or source.startswith("<"):
        from ..core.config import user_config_path

        source = f"no config file ({user_config_path(env)}): the defaults"
    return Check("config", OK, f"valid: {source}"), cfg


# --------------------------------------------------------------------------
# Helpers shared by the checks
# --------------------------------------------------------------------------


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
    from ..audio.capture import Recorder, resolve_device

    import sounddevice as sd

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
