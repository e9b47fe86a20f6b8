"""`sayso settings` as a person with a keyboard and a screen reader meets it.

The real window on the session's Xvfb, PulseAudio and D-Bus, with the AT-SPI
registry (at-spi2-core) switched on as a screen reader switches it on. Keys go
in with xdotool only; what the window says is read back through AT-SPI
(tests/a11y_tree.py, run by the system Python with Debian's python3-gi), as
Orca would read it. Screenshots of each step are kept under the test's tmp
directory (docs/img/ has copies for the README).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import DATA, TESTS, wait_for

pytestmark = pytest.mark.e2e

SYSTEM_PYTHON = "/usr/bin/python3"
APP = "sayso-settings"
#: what a person operates: each needs a name and is reached with Tab
INTERACTIVE = {"push button", "check box", "radio button", "combo box", "text", "spin button", "page tab", "list"}


def read_tree(env: dict) -> list:
    out = subprocess.run(
        [SYSTEM_PYTHON, str(TESTS / "a11y_tree.py"), APP], env=env, capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0, out.stderr.strip().splitlines()[-1:]
    return json.loads(out.stdout or "[]")


def showing(tree: list) -> list:
    """Nodes on screen: showing, with every ancestor showing (Qt marks hidden combo popups' items as showing)."""
    by_path = {tuple(n["path"]): n for n in tree}
    out = []
    for n in tree:
        path = tuple(n["path"])
        chain = [by_path.get(path[:i]) for i in range(1, len(path) + 1)]
        if all(c is not None and "showing" in c["states"] for c in chain):
            out.append(n)
    return [n for n in out if not any(p["role"] == "combo box" for p in _ancestors(n, by_path))]


def _ancestors(node: dict, by_path: dict) -> list:
    path = tuple(node["path"])
    return [by_path[path[:i]] for i in range(1, len(path)) if path[:i] in by_path]


def labels(tree: list) -> list:
    return [n["name"] for n in showing(tree) if n["role"] == "label"]


def focused(tree: list) -> tuple:
    """The one control with the keyboard focus (deepest focused node on screen)."""
    nodes = [n for n in showing(tree) if "focused" in n["states"] and n["role"] in INTERACTIVE | {"label"}]
    assert nodes, "nothing on screen has the keyboard focus"
    node = max(nodes, key=lambda n: len(n["path"]))
    return node["role"], node["name"]


def wait_label(env: dict, starts: str, timeout: float = 60) -> str:
    def found():
        return next((t for t in labels(read_tree(env)) if t.startswith(starts)), "")

    return wait_for(found, timeout, 0.3, f"a label starting {starts!r}")


class Window:
    def __init__(self, desktop, tmp_path: Path, config_text: str = "") -> None:
        self.desk = desktop
        self.shots = tmp_path / "screenshots"
        self.shots.mkdir()
        self.config = tmp_path / "config" / "sayso" / "config.toml"
        if config_text:
            self.config.parent.mkdir(parents=True)
            self.config.write_text(config_text)
        self.env = dict(desktop.env, XDG_CONFIG_HOME=str(tmp_path / "config"), QT_QPA_PLATFORM="xcb")
        self.env.pop("SAYSO_CONFIG", None)
        subprocess.run(  # what a screen reader does when it starts: ask applications for their tree
            [
                "dbus-send",
                "--session",
                "--print-reply",
                "--dest=org.a11y.Bus",
                "/org/a11y/bus",
                "org.freedesktop.DBus.Properties.Set",
                "string:org.a11y.Status",
                "string:IsEnabled",
                "variant:boolean:true",
            ],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=30,
        )
        self.log = open(tmp_path / "window.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sayso", "settings"], env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        wait_for(lambda: self.proc.poll() is not None or read_tree(self.env), 60, 0.5, "the window in AT-SPI")
        assert self.proc.poll() is None, (tmp_path / "window.log").read_text()[-2000:]
        wid = wait_for(lambda: self._window_id(), 30, 0.3, "the X window")
        desktop.run("xdotool", "windowfocus", "--sync", wid, check=False)  # no window manager: set it directly
        time.sleep(0.5)

    def focus(self) -> None:
        """Back to the window, as Alt+Tab does (there is no window manager under Xvfb)."""
        wid = self._window_id()
        self.desk.run("xdotool", "windowmap", "--sync", wid, check=False)
        self.desk.run("xdotool", "windowfocus", "--sync", wid, check=False)
        time.sleep(0.5)

    def _window_id(self) -> str:
        out = self.desk.run("xdotool", "search", "--onlyvisible", "--name", "^sayso settings$", check=False)
        ids = out.stdout.decode().split()
        return ids[-1] if ids else ""

    def key(self, *keys: str) -> None:
        for k in keys:
            self.desk.xdotool("key", "--delay", "80", k)
            time.sleep(0.25)  # a person's pace; the window answers on its own thread

    def type(self, text: str) -> None:
        self.desk.xdotool("type", "--delay", "60", text)
        time.sleep(0.3)

    def screenshot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.desk.run(
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "x11grab",
            "-i",
            self.env["DISPLAY"],
            "-frames:v",
            "1",
            str(path),
            timeout=60,
        )
        assert path.stat().st_size > 10_000
        return path

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
        keep = os.environ.get("SAYSO_SCREENSHOTS")
        if keep:  # copies for the README: SAYSO_SCREENSHOTS=docs/img
            Path(keep).mkdir(parents=True, exist_ok=True)
            for shot in self.shots.glob("*.png"):
                shutil.copy(shot, Path(keep) / f"settings-{shot.name}")


@pytest.fixture
def window(desktop, tmp_path):
    for tool in (SYSTEM_PYTHON, "dbus-send", "ffmpeg"):
        assert shutil.which(tool), f"{tool} is missing: run scripts/setup.sh test"
    w = Window(desktop, tmp_path)
    yield w
    w.close()


def test_every_control_has_a_name_and_a_role(window):
    tree = read_tree(window.env)
    for tab in (
        "First run",
        "Dictate",
        "Read aloud",
        "Rewrite",
        "Hotkeys",
        "Engines",
        "Rewrite with reasons",
        "History",
        "Status",
    ):
        assert {"role": "page tab", "name": tab}.items() <= _only(tree, "page tab", tab).items()
    seen = 0
    for page in range(9):  # each page in turn, from the keyboard: Ctrl+Tab
        nodes = [n for n in showing(read_tree(window.env)) if n["role"] in INTERACTIVE]
        nameless = [n for n in nodes if not n["name"].strip() or n["name"].startswith(("Q", "Gtk"))]
        assert nameless == [], f"page {page}: controls without a name: {nameless}"
        seen += len(nodes)
        if page == 8:  # Status: doctor's checks, each in words with its fix
            checks = wait_for(lambda: _checks(window.env), 90, 0.5, "the checks")
            assert checks[0].startswith("OK: config: valid") and any(c.startswith("Warning: daemon") for c in checks)
        window.screenshot(f"page-{page}")
        window.key("ctrl+Tab")
    assert seen > 100  # every option of the five settings pages is a named control


def _checks(env: dict) -> list:
    items = [n["name"] for n in showing(read_tree(env)) if n["role"] == "list item"]
    return items if items and not items[0].startswith("Checking") else []


def _only(tree: list, role: str, name: str) -> dict:
    found = [n for n in tree if n["role"] == role and n["name"] == name]
    assert len(found) == 1, f"{role} {name!r}: {len(found)} found"
    return {"role": found[0]["role"], "name": found[0]["name"]}


def test_tab_reaches_every_control_of_a_page(window):
    on_screen = {
        (n["role"], n["name"])
        for n in showing(read_tree(window.env))
        if n["role"] in INTERACTIVE - {"page tab"} and "enabled" in n["states"]
    }
    assert ("push button", "Say something") in on_screen and ("push button", "Skip") in on_screen
    reached = set()
    for _ in range(len(on_screen) + 4):
        window.key("Tab")
        reached.add(focused(read_tree(window.env)))
    assert on_screen <= reached, f"never reached with Tab: {on_screen - reached}"


def test_first_run_from_the_keyboard_alone(window):
    env = window.env
    # Step 1: the microphone. Say something, and see what sayso heard.
    wait_label(env, "The microphone is open")
    window.screenshot("1-microphone")
    window.key("alt+s")
    wait_label(env, "Listening")
    window.desk.play(DATA / "lamp.wav")
    heard = wait_label(env, "You said:", timeout=120)
    assert "lamp" in heard.lower()
    window.screenshot("1-microphone-heard")
    window.key("alt+c")

    # Step 2: the hotkey, captured by pressing it.
    wait_label(env, "Dictation hotkey: <ctrl>+<alt>+space")
    window.key("alt+p", "ctrl+alt+d")
    wait_label(env, "Dictation hotkey: <ctrl>+<alt>+d")
    window.screenshot("2-hotkey")
    window.key("alt+c")
    wait_label(env, "Step 3 of 4")

    # Step 3: the voice; skipped (it can be done again later).
    window.screenshot("3-voice")
    window.key("alt+k")

    # Step 4: rewrite. A server that is not there says so; then Harper.
    wait_label(env, "Step 4 of 4")
    window.key("alt+e", "alt+a", "ctrl+a")
    window.type("http://127.0.0.1:9/v1")
    window.key("alt+n")
    assert "cannot connect to http://127.0.0.1:9/v1/models" in wait_label(env, "Problem: cannot connect")
    window.screenshot("4-rewrite")
    window.key("alt+r", "alt+c")

    summary = wait_label(env, "Dictation hotkey: <ctrl>+<alt>+d. Voice: joe at 1. Rewrite: harper.")
    assert summary
    window.screenshot("5-done")

    from sayso.core.config import load_config

    config = load_config(window.config)
    assert (config.hotkeys.dictate, config.rewrite.engine, config.speak.voice) == ("<ctrl>+<alt>+d", "harper", "joe")
    assert window.config.read_text() == '[hotkeys]\ndictate = "<ctrl>+<alt>+d"\n\n[rewrite]\nengine = "harper"\n'
    assert window.config.stat().st_mode & 0o777 == 0o600


def test_a_bad_value_shows_the_loaders_message_at_the_field_and_nothing_is_written(desktop, tmp_path):
    window = Window(desktop, tmp_path, '# mine\n[hotkeys]\ndictate = "<ctrl_r>"  # right control\n')
    try:
        _bad_value(window)
    finally:
        window.close()


def _bad_value(window: Window) -> None:
    before = window.config.read_bytes()
    window.key("ctrl+Tab", "ctrl+Tab", "ctrl+Tab", "ctrl+Tab")  # the Hotkeys page
    wait_for(lambda: ("page tab", "Hotkeys") == focused(read_tree(window.env)), 20, 0.3, "the Hotkeys page")
    window.key("Tab")
    assert focused(read_tree(window.env)) == ("text", "Dictate")
    window.key("ctrl+a")
    window.type("<ctrl>+<nosuchkey>")
    window.key("Tab")  # leaving the field saves it
    shown = wait_label(window.env, "Not saved: ")
    assert f"{window.config}:3: hotkeys.dictate: " in shown
    window.screenshot("bad-value")
    assert window.config.read_bytes() == before
    described = [n for n in showing(read_tree(window.env)) if n["role"] == "text" and n["name"] == "Dictate"]
    assert "Not saved:" in described[0]["description"]  # a screen reader hears it at the field too


def test_rewrite_with_reasons_says_why_and_accept_puts_it_on_the_clipboard(window):
    window.key("alt+o")  # the Rewrite with reasons page
    window.key("alt+x")
    assert focused(read_tree(window.env)) == ("text", "Text to check")
    window.type("Their going too the store tomorow.")
    window.key("alt+k")
    preview = wait_label(window.env, "New text: ")
    assert preview == "New text: Their going to the store tomorrow."
    reasons = [n["name"] for n in showing(read_tree(window.env)) if n["role"] == "list item"]
    assert reasons[0].startswith('"too": Use the infinitive marker `to`') and reasons[0].endswith('Suggestion: "to"')
    assert reasons[1].startswith('"tomorow": Did you mean to spell') and '"tomorrow"' in reasons[1]
    window.screenshot("reasons")
    window.key("alt+a")
    wait_label(window.env, "Copied the new text (sayso is not running: no undo)")
    assert window.desk.get_clipboard() == b"Their going to the store tomorrow."


def test_history_copies_and_deletes_a_dictation_that_was_not_typed(desktop, tmp_path):
    kept = Path(desktop.env["XDG_RUNTIME_DIR"]) / "sayso" / "undelivered.jsonl"
    kept.parent.mkdir(mode=0o700, exist_ok=True)
    entry = {"time": time.time(), "text": "Meet me at noon.", "delivered": False, "method": "type", "error": "no focus"}
    kept.write_text(json.dumps(entry) + "\n")
    window = Window(desktop, tmp_path)
    try:
        window.key("alt+h")
        rows = wait_for(
            lambda: [n["name"] for n in showing(read_tree(window.env)) if n["role"] == "list item"], 20, 0.3, "rows"
        )
        assert len(rows) == 1 and rows[0].endswith("not typed (no focus): Meet me at noon.")
        window.key("alt+c")
        wait_label(window.env, "Copied to the clipboard.")
        assert window.desk.get_clipboard() == b"Meet me at noon."
        window.key("alt+d")
        wait_label(window.env, "Deleted. No dictations yet.")
        assert kept.read_text() == ""
    finally:
        window.close()
        kept.unlink(missing_ok=True)


USER_CONFIG = "# my notes: keep me\n[notify]\nsounds = false  # quiet: the null sink's monitor is the microphone\n"


def ctl(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sayso", "ctl", *args], env=env, capture_output=True, text=True, timeout=120
    )


def status(env: dict) -> dict:
    out = ctl(env, "status", "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_first_run_personalises_the_running_daemon_keyboard_only(desktop, textbox, tmp_path):
    """The new user's path, as `scripts/setup.sh run` leaves it: the daemon runs with no config
    file and points to `sayso settings`; the window, from the keyboard only, sets the dictation
    hotkey (pressed), the voice and rate, and rewrite; each save reloads the running daemon, which
    then dictates on the new chord, ignores the old one and reads with the new voice."""
    from types import SimpleNamespace

    from conftest import TRANSCRIPTS, DaemonProc, hold_and_play, wer

    window = Window(desktop, tmp_path)
    assert not window.config.exists()
    daemon = DaemonProc(SimpleNamespace(env=window.env), None)  # no --config: ~/.config/sayso/config.toml
    try:
        daemon.wait_log(r"No config file yet: 'sayso settings' sets up", 120)
        daemon.wait_log(r"Ready: hotkeys live \(dictate <ctrl>\+<alt>\+space", 120)
        daemon.wait_log(r"Speech model (loaded|warm)", 120)
        env = window.env
        before = status(env)
        assert (before["models"]["speak"]["voice"], before["models"]["rewrite"]["engine"]) == ("joe", "auto")
        _first_run_keys(window, daemon)

        after = status(env)
        assert after["models"]["speak"]["voice"] == "joe-slow"
        assert after["models"]["speak"]["rate"] == 1.3
        assert after["models"]["rewrite"]["engine"] == "harper"
        assert window.config.read_text() == (
            '[hotkeys]\ndictate = "<ctrl>+<alt>+d"\n\n[speak]\nvoice = "joe-slow"\nrate = 1.3\n\n'
            '[rewrite]\nengine = "harper"\n\n[notify]\nsounds = false\n'
        )

        textbox.focus()
        mark = daemon.mark()
        hold_and_play(desktop, "ctrl+alt+d", DATA / "lamp.wav")  # the new chord dictates
        daemon.wait_log(r"Inserted \d+ characters", 90, start=mark)
        typed = textbox.wait_stable(30)
        assert wer(TRANSCRIPTS["lamp.wav"]["text"], typed) <= 0.25, typed

        mark = daemon.mark()
        hold_and_play(desktop, "ctrl+alt+space", DATA / "lamp.wav")  # the old one does nothing
        time.sleep(3)
        assert "Recording" not in "\n".join(daemon.lines[mark:])
        assert textbox.text().strip() == typed.strip()

        _reload_keeps_or_reports(window, daemon)
    finally:
        window.close()
        daemon.stop()


def _first_run_keys(window: Window, daemon) -> None:
    env = window.env
    wait_label(env, "Step 1 of 4")
    window.key("alt+k")  # the microphone step: skipped
    wait_label(env, "Dictation hotkey: <ctrl>+<alt>+space")
    window.key("alt+p", "ctrl+alt+d")  # the capture button, then the new chord
    wait_label(env, "Dictation hotkey: <ctrl>+<alt>+d")
    mark = daemon.mark()
    window.key("alt+c")
    assert wait_label(env, "Saved hotkeys.dictate.") == "Saved hotkeys.dictate. The daemon uses it now."
    daemon.wait_log(r"Ready: hotkeys live \(dictate <ctrl>\+<alt>\+d", 60, start=mark)

    wait_label(env, "Step 3 of 4")
    window.key("alt+v")
    assert focused(read_tree(env)) == ("combo box", "joe")  # (Qt names a focused combo box by its choice)
    window.key("Down")
    assert focused(read_tree(env)) == ("combo box", "joe-slow")
    window.key("alt+r", "ctrl+a")
    window.type("1.3")
    window.screenshot("3-voice")
    window.key("alt+c")
    assert wait_label(env, "Saved speak.rate.") == "Saved speak.rate. The daemon uses it now."

    wait_label(env, "Step 4 of 4")
    window.key("alt+r")
    assert focused(read_tree(env))[0] == "radio button"
    window.key("alt+c")
    wait_label(env, "Dictation hotkey: <ctrl>+<alt>+d. Voice: joe-slow at 1.3. Rewrite: harper.")
    assert wait_label(env, "Saved rewrite.engine.") == "Saved rewrite.engine. The daemon uses it now."

    window.key("ctrl+Tab", "ctrl+Tab", "ctrl+Tab", "ctrl+Tab", "ctrl+Tab")  # the Engines page
    on_page = [(n["role"], n["name"]) for n in showing(read_tree(env))]
    assert ("check box", "Sounds") in on_page, on_page[:40]
    tab_to(window, "check box", "Sounds")
    window.key("space")  # sounds off: made when sayso starts, so the window says it waits for a restart
    assert wait_label(env, "Saved notify.sounds.") == (
        "Saved notify.sounds. The daemon uses it now, except notify.sounds: restart sayso for that."
    )


def _reload_keeps_or_reports(window: Window, daemon) -> None:
    """A bad file on reload: one line, the old config stays; a valid one names what needs a restart."""
    good = window.config.read_text()
    window.config.write_text(good + "\n[general]\nhistory_size = -1\n")
    out = ctl(window.env, "reload")
    assert out.returncode != 0 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert f"{window.config}:" in out.stderr and "history_size" in out.stderr
    assert status(window.env)["models"]["speak"]["voice"] == "joe-slow"
    assert daemon.proc.poll() is None

    window.config.write_text(good + "\n[general]\nhistory_size = 5\n")
    out = ctl(window.env, "reload")
    assert out.returncode == 0, out.stderr
    later = "general.history_size, notify.sounds"  # the sounds still wait: what the daemon started with counts
    assert out.stdout.strip() == f"reloaded; these take effect after a restart: {later}"
    daemon.wait_log(f"Config reloaded; these take effect after a restart: {later}", 30)


def _kept_recording(runtime: Path, tmp_path: Path) -> dict:
    """A recording the daemon kept after a failure: a 16 kHz mono WAV in its recordings folder."""
    wav = runtime / "recordings" / "1.wav"
    wav.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-i", str(DATA / "lamp.wav"), "-ar", "16000", "-ac", "1", str(wav)],
        check=True,
    )
    return {"time": time.time() - 60, "text": "", "delivered": False, "error": "server down", "audio": str(wav)}


def _sink_inputs(env: dict) -> int:
    out = subprocess.run(["pactl", "list", "short", "sink-inputs"], env=env, capture_output=True, text=True)
    return len(out.stdout.strip().splitlines())


def test_history_types_again_plays_retries_and_clears_through_the_daemon(desktop, textbox, tmp_path):
    """History from the keyboard with a real daemon: Type again and Retry go through the control
    socket (the daemon types into the Tk window), Play reaches PulseAudio, Clear all empties the
    daemon's history, the kept file and the recordings."""
    from conftest import TRANSCRIPTS, DaemonProc, wer

    runtime = Path(desktop.env["XDG_RUNTIME_DIR"]) / "sayso"
    kept = runtime / "undelivered.jsonl"
    runtime.mkdir(mode=0o700, exist_ok=True)
    recording = _kept_recording(runtime, tmp_path)
    text = {"time": time.time(), "text": "Meet me at noon.", "delivered": False, "method": "type", "error": "no focus"}
    kept.write_text(json.dumps(recording) + "\n" + json.dumps(text) + "\n")
    window = Window(desktop, tmp_path, USER_CONFIG)
    daemon = DaemonProc(desktop, window.config)
    try:
        daemon.wait_log(r"Speech model (loaded|warm)", 120)
        window.focus()
        window.key("alt+h")
        window.key("alt+s")  # Refresh: the daemon is up now
        rows = wait_for(lambda: _rows(window.env, 2), 20, 0.3, "two rows")
        assert rows[0].endswith("not typed (no focus): Meet me at noon.") and "Kept recording" in rows[1]
        window.screenshot("history")

        window.key("alt+g")  # Type again: the window steps aside; the person goes back to the text box
        textbox.focus()
        assert textbox.wait_stable(30) == "Meet me at noon."
        daemon.wait_log(r"Typed 16 characters again", 10)

        window.focus()
        window.key("alt+h", "Tab", "Down")  # the list, then the recording
        playing = _sink_inputs(window.env)
        window.key("alt+p")
        wait_for(lambda: _sink_inputs(window.env) > playing, 10, 0.05, "the recording playing in PulseAudio")
        wait_label(window.env, "Played the recording.", 30)

        window.key("alt+r")  # Retry: the daemon transcribes the kept recording and types it
        textbox.focus()
        typed = textbox.wait_stable(90, previous="Meet me at noon.")
        assert wer("Meet me at noon. " + TRANSCRIPTS["lamp.wav"]["text"], typed) <= 0.25, typed
        assert not Path(recording["audio"]).exists()

        window.focus()
        window.key("alt+h")
        window.key("alt+s")
        assert any("typed: " in r for r in wait_for(lambda: _rows(window.env, 2), 20, 0.3, "rows"))
        window.key("alt+a")  # Clear all
        wait_label(window.env, "Every entry and recording was deleted.")
        assert _rows(window.env, 0) == [] and kept.read_text() == ""
        history = ctl(window.env, "history", "--json")
        assert json.loads(history.stdout)["entries"] == []
    finally:
        window.close()
        daemon.stop()
        kept.unlink(missing_ok=True)


def _rows(env: dict, count: int) -> list:
    rows = [n["name"] for n in showing(read_tree(env)) if n["role"] == "list item"]
    return rows if len(rows) >= count else []


def test_rewrite_with_reasons_accept_is_a_daemon_rewrite_and_undo_restores_the_clipboard(desktop, tmp_path):
    """Accept goes through the running daemon's clipboard transaction: the new text on the
    clipboard, one undo entry, and ``sayso ctl undo`` puts the old clipboard back byte for byte."""
    from conftest import DaemonProc

    original = "Their going too the store tomorow. Café ✓\n".encode()  # noqa: UP012 (written as text)
    window = Window(desktop, tmp_path, USER_CONFIG)
    daemon = DaemonProc(desktop, window.config)
    try:
        daemon.wait_log(r"Ready: hotkeys live", 120)
        desktop.set_clipboard(original)
        window.focus()
        window.key("alt+o", "alt+p")  # the page, then Paste from the clipboard (checks it)
        preview = wait_label(window.env, "New text: ")
        assert preview.startswith("New text: Their going to the store tomorrow.")
        window.key("alt+a")
        wait_label(window.env, "Copied the new text to the clipboard (undo: sayso ctl undo)")
        new = desktop.get_clipboard()
        assert new.decode().startswith("Their going to the store tomorrow.")
        assert status(window.env)["models"]["rewrite"]["undo"] == 1
        out = ctl(window.env, "undo")
        assert out.returncode == 0, out.stderr
        assert desktop.get_clipboard() == original
    finally:
        window.close()
        daemon.stop()


def tab_to(window: Window, role: str, name: str, most: int = 60) -> None:
    for _ in range(most):
        if focused(read_tree(window.env)) == (role, name):
            return
        window.key("Tab")
    raise AssertionError(f"Tab never reached the {role} {name!r}")


def test_a_voice_per_language_is_added_and_removed_from_the_keyboard(desktop, tmp_path):
    window = Window(desktop, tmp_path, USER_CONFIG)
    try:
        window.key("ctrl+Tab", "ctrl+Tab")  # the Read aloud page
        wait_for(lambda: ("page tab", "Read aloud") == focused(read_tree(window.env)), 20, 0.3, "Read aloud")
        tab_to(window, "text", "New entry for Language voices")
        window.type("de = joe-slow")
        window.key("Return")
        wait_for(lambda: "language_voices" in window.config.read_text(), 10, 0.2, "the saved entry")
        assert window.config.read_text() == USER_CONFIG + '\n[speak]\nlanguage_voices = {de = "joe-slow"}\n'
        rows = [n["name"] for n in showing(read_tree(window.env)) if n["role"] == "list item"]
        assert "de = joe-slow" in rows
        window.screenshot("language-voices")
        window.key("shift+Tab", "Home")  # the list, its first entry
        tab_to(window, "push button", "Remove", 4)
        window.key("space")
        wait_for(lambda: "joe-slow" not in window.config.read_text(), 10, 0.2, "the entry removed")
        assert window.config.read_text() == USER_CONFIG + "\n[speak]\nlanguage_voices = {}\n"
    finally:
        window.close()


PORTAL_CONFIG = USER_CONFIG + '[hotkeys]\nbackend = "portal"  # the desktop binds the keys\n'


def test_hotkey_step_explains_conflicts_and_what_the_portal_bound(desktop, tmp_path):
    """Wayland's way: the daemon binds its keys through the GlobalShortcuts portal (the stand-in
    on a private bus, as in test_portal_daemon_e2e), the desktop picks other keys than the person
    pressed, and the hotkey step says so; a chord other applications use is a warning in words."""
    from types import SimpleNamespace

    from conftest import DaemonProc
    from portal_standin import PrivateBus, StandinPortal

    bus = PrivateBus()
    portal = StandinPortal(bus.address)
    portal.trigger_override["dictate"] = "CTRL+ALT+F9"  # what the "person" picks in the desktop's dialog
    window = Window(desktop, tmp_path, PORTAL_CONFIG)  # the window on the session bus (AT-SPI)
    daemon_env = dict(desktop.env, DBUS_SESSION_BUS_ADDRESS=bus.address, XDG_STATE_HOME=str(tmp_path / "state"))
    daemon = DaemonProc(SimpleNamespace(env=daemon_env), window.config)
    try:
        daemon.wait_log(r"Ready: hotkeys live", 120)
        assert status(window.env)["backends"]["hotkeys"] == "portal"
        window.key("alt+k")  # past the microphone
        wait_label(window.env, "Dictation hotkey: <ctrl>+<alt>+space")
        window.key("alt+p", "ctrl+c")
        warning = wait_label(window.env, "Warning: ")
        assert warning == (
            "Warning: <ctrl>+c is also Copy in most applications: sayso would take it from them while it runs. "
            "To use it anyway, press Save and continue to keep it."
        )
        window.key("alt+p", "ctrl+alt+d")
        wait_label(window.env, "New hotkey <ctrl>+<alt>+d")
        window.key("alt+c")
        said = wait_label(window.env, "Saved hotkeys.dictate.")
        assert said == (
            "Saved hotkeys.dictate. The daemon uses it now. The desktop bound dictation to CTRL+ALT+F9; it decides "
            "on Wayland (change it in its keyboard shortcut settings)."
        )
        assert portal.calls.count("BindShortcuts") == 2  # bound again on the reload, with the new preferred keys
        window.screenshot("2-hotkey-portal")
    finally:
        window.close()
        daemon.stop()
        portal.close()
        bus.close()
