"""``sayso service install|uninstall|status``: run the daemon in the background.

Linux: a systemd user unit (``Type=notify``: the daemon says READY=1 once
its hotkeys are live) bound to ``graphical-session.target``.  macOS: a
launchd agent plist.  Both start *this* install: the Python that runs this
command, with ``-m sayso run``.
"""

from __future__ import annotations

import logging
import os
import plistlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Mapping, Optional, Sequence

from ..core.errors import SaysoError
from ..core.paths import config_home

_LOGGER = logging.getLogger(__name__)

UNIT_NAME = "sayso.service"
AGENT_LABEL = "io.github.sayso"
#: what the desktop session must hand to the user manager for sayso to reach it
DISPLAY_VARS = ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE", "XDG_CURRENT_DESKTOP", "XAUTHORITY")

UNIT_TEMPLATE = """\
# sayso: local dictation, read-aloud and rewrite on global hotkeys.
# `sayso service install` writes this unit to ~/.config/systemd/user/ with
# the ExecStart of the install it runs from; logs: journalctl --user -u sayso
#
# Display environment: a user service does not inherit the desktop's
# variables. GNOME, KDE and most display managers import DISPLAY,
# WAYLAND_DISPLAY and XDG_SESSION_TYPE into the user manager and then start
# graphical-session.target. On sway, Hyprland and other bare compositors
# put this in the compositor's config (sway ships it as
# /etc/sway/config.d/50-systemd-user.conf):
#   exec systemctl --user import-environment DISPLAY WAYLAND_DISPLAY XDG_SESSION_TYPE XDG_CURRENT_DESKTOP
# Without any display variable the unit is skipped (ConditionEnvironment)
# instead of failing in a loop.

[Unit]
Description=sayso dictation, read-aloud and rewrite daemon
PartOf=graphical-session.target
After=graphical-session.target
ConditionEnvironment=|WAYLAND_DISPLAY
ConditionEnvironment=|DISPLAY
StartLimitIntervalSec=60
StartLimitBurst=5

[Service]
Type=notify
NotifyAccess=main
ExecStart={exec_start}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=3
TimeoutStartSec=60
TimeoutStopSec=10
Environment=PYTHONUNBUFFERED=1

[Install]
WantedBy=graphical-session.target
"""


class ServiceError(SaysoError):
    pass


def exec_args(config: Optional[Path] = None, python: Optional[str] = None) -> list:
    """The command line that starts this install's daemon."""
    args = [python or sys.executable, "-m", "sayso"]
    if config is not None:
        args += ["--config", str(config)]
    return args + ["run"]


def systemd_quote(arg: str, executable: bool = False) -> str:
    """One ExecStart word, escaped for systemd: specifiers, spaces, and variables
    (which systemd does not expand in the executable's path)."""
    arg = arg.replace("\\", "\\\\").replace("%", "%%")
    if not executable:
        arg = arg.replace("$", "$$")
    if not arg or any(ch in arg for ch in " \t\"';"):
        return '"' + arg.replace('"', '\\"') + '"'
    return arg


def unit_text(args: Sequence[str]) -> str:
    return UNIT_TEMPLATE.format(exec_start=" ".join(systemd_quote(a, i == 0) for i, a in enumerate(args)))


def plist_bytes(args: Sequence[str], home: Path) -> bytes:
    """The launchd agent for macOS: start at login, restart after a crash."""
    logs = home / "Library" / "Logs"
    agent = {
        "Label": AGENT_LABEL,
        "ProgramArguments": list(args),
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ProcessType": "Interactive",
        "StandardErrorPath": str(logs / "sayso.log"),
        "StandardOutPath": str(logs / "sayso.log"),
        "EnvironmentVariables": {"PYTHONUNBUFFERED": "1"},
    }
    return plistlib.dumps(agent)


def unit_path(env: Mapping[str, str] = os.environ) -> Path:
    return config_home(env) / "systemd" / "user" / UNIT_NAME


def plist_path(home: Optional[Path] = None) -> Path:
    return (home or Path.home()) / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"


def _run(cmd: list, check: bool = True) -> subprocess.CompletedProcess:
    if shutil.which(cmd[0]) is None:
        raise ServiceError(f"{cmd[0]} not found: is this a systemd system? (run 'sayso run' from your session instead)")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise ServiceError(f"'{' '.join(cmd)}' did not finish") from None
    if check and proc.returncode != 0:
        err = (proc.stderr or proc.stdout).strip().splitlines()
        raise ServiceError(f"'{' '.join(cmd)}' failed: {err[0] if err else proc.returncode}")
    return proc


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------


def install(config: Optional[Path] = None, start: bool = True, env: Mapping[str, str] = os.environ) -> int:
    args = exec_args(config)
    if sys.platform == "darwin":
        return _install_launchd(args, start)
    path = unit_path(env)
    _write(path, unit_text(args).encode())
    print(f"Wrote {path}")
    present = [v for v in DISPLAY_VARS if env.get(v)]
    if present:  # so that starting it now works even where the session did not import them
        _run(["systemctl", "--user", "import-environment", *present])
    _run(["systemctl", "--user", "daemon-reload"])
    _run(["systemctl", "--user", "enable", *(["--now"] if start else []), UNIT_NAME])
    print(f"sayso is enabled{' and started' if start else ''}; logs: journalctl --user -u sayso -f")
    return 0


def uninstall(env: Mapping[str, str] = os.environ) -> int:
    if sys.platform == "darwin":
        path = plist_path()
        if path.exists():
            _run(["launchctl", "bootout", f"gui/{os.getuid()}", str(path)], check=False)
            path.unlink()
        print(f"Removed {path}")
        return 0
    path = unit_path(env)
    _run(["systemctl", "--user", "disable", "--now", UNIT_NAME], check=False)
    if path.exists():
        path.unlink()
        print(f"Removed {path}")
    else:
        print(f"{path} was not installed")
    _run(["systemctl", "--user", "daemon-reload"])
    return 0


def status(env: Mapping[str, str] = os.environ) -> int:
    path = plist_path() if sys.platform == "darwin" else unit_path(env)
    if not path.exists():
        print(f"not installed ({path} does not exist): run 'sayso service install'")
        return 1
    current = exec_args(None)[0]
    text = path.read_bytes().decode(errors="replace")
    print(f"installed: {path}")
    if current not in text:
        print(f"note: it starts another Python than this one ({current}); 'sayso service install' updates it")
    if sys.platform == "darwin":
        proc = _run(["launchctl", "print", f"gui/{os.getuid()}/{AGENT_LABEL}"], check=False)
        running = proc.returncode == 0 and "state = running" in proc.stdout
    else:
        enabled = _run(["systemctl", "--user", "is-enabled", UNIT_NAME], check=False).stdout.strip() or "unknown"
        active = _run(["systemctl", "--user", "is-active", UNIT_NAME], check=False).stdout.strip() or "unknown"
        print(f"enabled: {enabled}\nactive: {active}")
        running = active == "active"
    return 0 if running else 3


def _install_launchd(args: list, start: bool) -> int:
    path = plist_path()
    (Path.home() / "Library" / "Logs").mkdir(parents=True, exist_ok=True)
    _write(path, plist_bytes(args, Path.home()))
    print(f"Wrote {path}")
    if start:
        _run(["launchctl", "bootout", f"gui/{os.getuid()}", str(path)], check=False)
        _run(["launchctl", "bootstrap", f"gui/{os.getuid()}", str(path)])
        print("sayso is loaded; logs: ~/Library/Logs/sayso.log")
    return 0
