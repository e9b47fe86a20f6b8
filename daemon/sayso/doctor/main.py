"""``sayso doctor``: one line per check, OK / WARN / FAIL, and how to fix it.

Exit status 1 when any check FAILs.  Checks never raise: a crash inside a
check is itself reported as a FAIL line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Mapping, Optional

from ..core.config import load_config, parse_config_text
from ..core.errors import ExitStatus, SaysoError
from .base import FAIL, OK, WARN, Check, Context  # noqa: F401  (re-exported)


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
    from ..desktop.session import resolve_session

    session = resolve_session(config.general.session, env)
    ctx = Context(config, env, session, load_models)
    from . import checks as dc

    checks: list = [
        dc.check_session,
        dc.check_hotkeys,
        dc.check_microphone,
        dc.check_speakers,
        dc.check_clipboard,
        dc.check_selection,
        dc.check_typing,
    ]
    if load_models:
        checks += [dc.check_speech_model, dc.check_voice]
    checks += [dc.check_rewrite, *_see_checks(), dc.check_daemon]
    for fn in checks:
        yield _guarded(fn, ctx)
    yield from _remote_checks(ctx)


def _see_checks() -> list:
    from . import see

    return [see.check_capture, see.check_ocr, see.check_describe]


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
