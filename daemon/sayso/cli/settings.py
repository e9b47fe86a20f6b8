"""``sayso settings``: the settings window (first run, settings, history, status)."""

from __future__ import annotations

import os
from pathlib import Path


def add_commands(subparsers) -> None:
    p = subparsers.add_parser("settings", help="open the settings window (first run, settings, history, status)")
    p.add_argument(
        "--page",
        default="",
        help="open on this page: first run, dictate, read aloud, rewrite, hotkeys, engines, history, status",
    )
    p.set_defaults(func=cmd_settings, needs_config=False)


def cmd_settings(args, config) -> int:
    from ..core.config import user_config_path
    from ..doctor.main import run_checks
    from ..window.app import run_window

    path = Path(args.config) if args.config else user_config_path()
    env = dict(os.environ)
    return run_window(path, env, checks=lambda: run_checks(path if path.exists() else None, env, False), page=args.page)
