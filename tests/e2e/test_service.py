"""The systemd user unit, `sayso service` and the launchd plist."""

import os
import plistlib
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from sayso.app import service

from conftest import BASE_CONFIG, REPO, DaemonProc, Desktop

UNIT = REPO / "systemd" / "sayso.service"


def verify(unit: Path) -> subprocess.CompletedProcess:
    """`systemd-analyze --user verify`, with a runtime dir so it works outside a session."""
    assert shutil.which("systemd-analyze"), "systemd-analyze is missing: run scripts/setup.sh test"
    runtime = tempfile.mkdtemp(prefix="sayso-verify-")
    try:
        env = dict(os.environ, XDG_RUNTIME_DIR=runtime, SYSTEMD_LOG_LEVEL="notice")
        return subprocess.run(
            ["systemd-analyze", "--user", "verify", str(unit)], env=env, capture_output=True, text=True, timeout=60
        )
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


def test_repo_unit_is_the_template_and_verifies():
    assert UNIT.read_text() == service.unit_text(["/usr/bin/env", "sayso", "run"])
    proc = verify(UNIT)
    assert proc.returncode == 0 and proc.stdout + proc.stderr == "", proc.stdout + proc.stderr


def test_verify_does_catch_mistakes(tmp_path):
    broken = tmp_path / "sayso.service"
    broken.write_text(UNIT.read_text().replace("Type=notify", "Type=sometimes"))
    assert "Failed to parse service type" in verify(broken).stderr


def test_unit_settings():
    text = UNIT.read_text()
    for line in (
        "Type=notify",
        "Restart=on-failure",
        "PartOf=graphical-session.target",
        "After=graphical-session.target",
        "WantedBy=graphical-session.target",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "ConditionEnvironment=|WAYLAND_DISPLAY",
    ):
        assert line in text.splitlines(), line
    assert "import-environment DISPLAY WAYLAND_DISPLAY" in text  # how the display env gets there


def test_generated_unit_starts_this_install_and_verifies(tmp_path):
    config = tmp_path / "my config%.toml"
    text = service.unit_text(service.exec_args(config))
    exec_line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    assert exec_line == f'ExecStart={sys.executable} -m sayso --config "{tmp_path}/my config%%.toml" run'
    unit = tmp_path / "sayso.service"
    unit.write_text(text)
    proc = verify(unit)
    assert proc.returncode == 0 and proc.stdout + proc.stderr == "", proc.stdout + proc.stderr


def test_quoting_of_odd_paths(tmp_path):
    odd = tmp_path / "my venv $HOME" / "bin"
    odd.mkdir(parents=True)
    (odd / "python").symlink_to(sys.executable)
    assert service.systemd_quote(str(odd / "python"), executable=True) == f'"{odd}/python"'
    assert service.systemd_quote("--config=$HOME/%h") == "--config=$$HOME/%%h"
    unit = tmp_path / "sayso.service"
    unit.write_text(service.unit_text(service.exec_args(None, python=str(odd / "python"))))
    proc = verify(unit)
    assert proc.returncode == 0 and proc.stdout + proc.stderr == "", proc.stdout + proc.stderr


@pytest.fixture
def fake_systemctl(tmp_path):
    """A `systemctl` on PATH that logs its arguments (there is no user manager here)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "systemctl.log"
    (bindir / "systemctl").write_text(
        f'#!/bin/sh\necho "$*" >> {log}\ncase "$*" in *is-enabled*) echo enabled;; *is-active*) echo active;; esac\n'
    )
    (bindir / "systemctl").chmod(0o755)
    env = dict(
        os.environ,
        PATH=f"{bindir}:{os.environ['PATH']}",
        XDG_CONFIG_HOME=str(tmp_path / "cfg"),
        HOME=str(tmp_path),
        DISPLAY=":42",
        PYTHONPATH=str(REPO / "daemon"),
    )
    env.pop("WAYLAND_DISPLAY", None)
    return env, log


def sayso(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sayso", *args], env=env, capture_output=True, text=True, timeout=60)


def test_service_install_status_uninstall(fake_systemctl, tmp_path):
    env, log = fake_systemctl
    config = tmp_path / "config.toml"
    config.write_text("")
    proc = sayso(env, "--config", str(config), "service", "install")
    assert proc.returncode == 0, proc.stderr
    unit = tmp_path / "cfg" / "systemd" / "user" / "sayso.service"
    assert unit.read_text() == service.unit_text([sys.executable, "-m", "sayso", "--config", str(config), "run"])
    assert log.read_text().splitlines() == [
        "--user import-environment DISPLAY",
        "--user daemon-reload",
        "--user enable --now sayso.service",
    ]
    status = sayso(env, "service", "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert f"installed: {unit}" in status.stdout and "active: active" in status.stdout
    log.write_text("")
    proc = sayso(env, "service", "uninstall")
    assert proc.returncode == 0, proc.stderr
    assert not unit.exists()
    assert log.read_text().splitlines() == ["--user disable --now sayso.service", "--user daemon-reload"]
    status = sayso(env, "service", "status")
    assert status.returncode == 1 and "not installed" in status.stdout


def test_service_install_no_start(fake_systemctl):
    env, log = fake_systemctl
    assert sayso(env, "service", "install", "--no-start").returncode == 0
    assert log.read_text().splitlines()[-1] == "--user enable sayso.service"


def test_service_install_without_systemd_says_so(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    env = dict(os.environ, PATH=str(bindir), XDG_CONFIG_HOME=str(tmp_path / "cfg"), PYTHONPATH=str(REPO / "daemon"))
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    proc = sayso(env, "service", "install")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "sayso: error: systemctl not found: is this a systemd system? (run 'sayso run' from your session instead)"
    )


def test_launchd_plist_generation(tmp_path):
    args = service.exec_args(Path("/Users/me/cfg.toml"), python="/Users/me/.venv/bin/python")
    agent = plistlib.loads(service.plist_bytes(args, Path("/Users/me")))
    assert agent["Label"] == "io.github.sayso"
    assert agent["ProgramArguments"] == [
        "/Users/me/.venv/bin/python",
        "-m",
        "sayso",
        "--config",
        "/Users/me/cfg.toml",
        "run",
    ]
    assert agent["RunAtLoad"] is True and agent["KeepAlive"] == {"SuccessfulExit": False}
    assert agent["StandardErrorPath"] == "/Users/me/Library/Logs/sayso.log"
    assert service.plist_path(Path("/Users/me")) == Path("/Users/me/Library/LaunchAgents/io.github.sayso.plist")


@pytest.mark.e2e
def test_ready_is_sent_once_hotkeys_and_socket_are_live(desktop, tmp_path):
    """Type=notify: READY=1 reaches NOTIFY_SOCKET, and by then `sayso ctl` works."""
    runtime = Path(tempfile.mkdtemp(prefix="sayso-rt-"))
    notify_path = runtime / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(str(notify_path))
        notify.settimeout(120)
        env = dict(desktop.env, XDG_RUNTIME_DIR=str(runtime), NOTIFY_SOCKET=str(notify_path))
        desk = Desktop(env, desktop.root)
        config = tmp_path / "config.toml"
        config.write_text(BASE_CONFIG)
        daemon = DaemonProc(desk, config)
        try:
            assert notify.recv(256) == b"READY=1"
            status = desk.sayso("ctl", "status")
            assert status.returncode == 0, status.stderr
            assert "Ready: hotkeys live" in daemon.log
            daemon.stop()
            assert notify.recv(256) == b"STOPPING=1"
        finally:
            daemon.stop()
            shutil.rmtree(runtime, ignore_errors=True)
