"""scripts/setup.sh puts `sayso settings` in the desktop's application menu
(run and install), so a new user can set sayso up without a terminal."""

from __future__ import annotations

import configparser
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_setup_writes_a_launcher_for_the_settings_window(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    script = (REPO / "scripts" / "setup.sh").read_text(encoding="utf-8")
    body = script[script.index("launcher() {") : script.index("\n}\n", script.index("launcher() {")) + 3]
    subprocess.run(
        ["bash", "-c", f'{body}\nVENV="$1"; launcher', "setup", str(venv)],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")},
        check=True,
    )
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(tmp_path / "data" / "applications" / "sayso-settings.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application" and section["Terminal"] == "false"
    assert section["Exec"] == f'"{venv / "bin" / "sayso"}" settings'
    assert "Accessibility" in section["Categories"].split(";")
    assert "launcher" in script[script.index('case "$ACTION" in run|install)') :].splitlines()[0]
