"""``sayso ctl`` (the control socket's client), ``sayso service`` and ``sayso doctor``.

``sayso ctl`` prints nothing on success unless there is something to say, so
it can sit behind a compositor key binding; errors are one line on stderr
with the exit code of the failure (:data:`ExitStatus.NO_DAEMON` when no
daemon runs).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..control.client import request  # noqa: F401  (sayso.cli.control.request: the client)
from ..control.commands import COMMANDS, DICTATE, SPEAK
from ..control.protocol import socket_path
from ..core.errors import ExitStatus
from ..desktop.portal.statusline import FORMATS as WATCH_FORMATS

CTL_EPILOG = (
    f"commands: dictate {'|'.join(DICTATE)} (retry TIME: that kept recording); speak {'|'.join(SPEAK)}; "
    "rewrite ACTION | --force-last; undo; status; "
    "history [clear | delete TIME]; type TEXT; reload; quit; read|describe region|window|screen|clipboard; "
    "describe --details. "
    "'status --watch [--json | --format waybar]': one line per change of state"
)


def add_commands(sub) -> None:
    p = sub.add_parser("ctl", help="control the running daemon (for desktop key bindings)", epilog=CTL_EPILOG)
    p.add_argument("ctl_command", choices=COMMANDS, metavar="COMMAND", help=" | ".join(COMMANDS))
    p.add_argument("ctl_args", nargs="*", metavar="ARG", help="e.g. start, stop, selection, fix")
    p.add_argument("--wait", action="store_true", help="wait for the result (dictate stop, rewrite...)")
    p.add_argument("--json", action="store_true", help="print the daemon's JSON reply")
    p.add_argument("--timeout", type=float, default=60.0, metavar="S", help="give up after S seconds (default 60)")
    p.add_argument(
        "--watch",
        action="store_true",
        help="status: print one line per change of state until stopped (for status bars)",
    )
    p.add_argument(
        "--force-last",
        action="store_true",
        help="rewrite: write the rewrite the meaning check refused last (once; the source must still be there)",
    )
    p.add_argument(
        "--details",
        action="store_true",
        help="describe: the details of the picture described last (within see.details_s)",
    )
    p.add_argument(
        "--format",
        choices=WATCH_FORMATS,
        default="text",
        help="status --watch: the line format (--json is the same as --format json)",
    )
    p.set_defaults(func=cmd_ctl, needs_config=False)

    p = sub.add_parser("service", help="install the background service (systemd user unit / launchd agent)")
    ssub = p.add_subparsers(dest="service_command", metavar="ACTION", required=True)
    s = ssub.add_parser("install", help="write, enable and start the service for this install")
    s.add_argument("--no-start", action="store_true", help="enable it for the next login but do not start it now")
    s.set_defaults(func=cmd_service, needs_config=False)
    s = ssub.add_parser("uninstall", help="stop, disable and remove the service")
    s.set_defaults(func=cmd_service, needs_config=False)
    s = ssub.add_parser("status", help="show whether the service is installed and running")
    s.set_defaults(func=cmd_service, needs_config=False)

    p = sub.add_parser("doctor", help="check microphone, hotkeys, tools, models and the daemon; say how to fix")
    p.add_argument("--skip-models", action="store_true", help="do not load the models (faster)")
    p.set_defaults(func=cmd_doctor, needs_config=False)


# --------------------------------------------------------------------------
# ctl
# --------------------------------------------------------------------------


def cmd_ctl(args, config) -> int:
    if args.watch:
        return _watch(args)
    ctl_args = args.ctl_args
    if args.force_last:
        if args.ctl_command != "rewrite" or ctl_args:
            print("sayso: error: --force-last goes with 'rewrite' alone", file=sys.stderr)
            return ExitStatus.USAGE
        ctl_args = ["force-last"]
    if args.details:
        if args.ctl_command != "describe" or ctl_args:
            print("sayso: error: --details goes with 'describe' alone", file=sys.stderr)
            return ExitStatus.USAGE
        ctl_args = ["details"]
    reply = request(args.ctl_command, ctl_args, wait=args.wait, timeout=args.timeout)
    if args.json:
        print(json.dumps(reply, indent=2, ensure_ascii=False))
    elif not reply.get("ok"):
        print(f"sayso: error: {reply.get('error', 'failed')}", file=sys.stderr)
    else:
        _print_reply(args.ctl_command, reply)
    if reply.get("ok"):
        return ExitStatus.SUCCESS
    code = reply.get("code")
    return int(code) if isinstance(code, int) and 0 < code < 256 else ExitStatus.ERROR


def _watch(args) -> int:
    """``sayso ctl status --watch``: lines until interrupted; "stopped" while no daemon runs."""
    from ..desktop.portal.statusline import run_watch

    if args.ctl_command != "status" or args.ctl_args:
        print("sayso: error: --watch goes with 'status' only", file=sys.stderr)
        return ExitStatus.USAGE
    try:
        return run_watch(str(socket_path()), "json" if args.json else args.format)
    except KeyboardInterrupt:
        return ExitStatus.SUCCESS


def _print_reply(command: str, reply: dict) -> None:
    if command == "status":
        print(format_status(reply))
    elif command == "history":
        for entry in reply.get("entries", []):
            mark = "typed" if entry.get("delivered") else f"NOT typed: {entry.get('error', '')}"
            print(f"[{mark}] {entry.get('text', '')}")
    elif command == "reload":
        later = reply.get("needs_restart") or []
        print("reloaded" + (f"; these take effect after a restart: {', '.join(later)}" if later else ""))
    elif reply.get("result"):
        print(" ".join(f"{k}={v}" for k, v in reply["result"].items()))


def format_status(reply: dict) -> str:
    lines = [
        f"state: {reply.get('state')} (pid {reply.get('pid')}, sayso {reply.get('version')}, {reply.get('session')})"
    ]
    models = reply.get("models", {})
    lines.append("models: " + ", ".join(f"{k} {v if isinstance(v, str) else _kv(v)}" for k, v in models.items()))
    backends = reply.get("backends", {})
    lines.append("backends: " + ", ".join(f"{k} {_kv(v) if isinstance(v, dict) else v}" for k, v in backends.items()))
    lines.append(f"config: {reply.get('config')}")
    lines.append(f"last error: {reply.get('last_error') or 'none'}")
    return "\n".join(lines)


def _kv(value) -> str:
    if isinstance(value, dict):
        return "(" + ", ".join(f"{k}={v}" for k, v in value.items()) + ")"
    return str(value)


# --------------------------------------------------------------------------
# service, doctor
# --------------------------------------------------------------------------


def cmd_service(args, config) -> int:
    from ..app import service

    config_path = Path(args.config).expanduser().resolve() if args.config else None
    if args.service_command == "install":
        return service.install(config_path, start=not args.no_start)
    if args.service_command == "uninstall":
        return service.uninstall()
    return service.status()


def cmd_doctor(args, config) -> int:
    from ..doctor import main as doctor

    return doctor.main(Path(args.config) if args.config else None, load_models=not args.skip_models)
