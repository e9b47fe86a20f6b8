"""The recording indicator never takes the focus.

Real: Xvfb, the Tk target window, xdotool typing, and a window manager
(openbox: with a WM a newly mapped normal window gets the focus, which the
control test shows), and the daemon showing the indicator itself while it
records (``notify.indicator = true``).
"""

import shutil
import time

import pytest

from sayso.desktop.portal.indicator import RecordingIndicator, wait_shown
from sayso.desktop.portal.state import State, Status

from conftest import _kill, _start, wait_for

TEXT = "typed while the indicator shows: hello world 123"


@pytest.fixture(scope="module")
def window_manager(desktop):
    assert shutil.which("openbox"), "openbox is missing: run scripts/setup.sh test"
    proc = _start(["openbox", "--sm-disable"], desktop.env)
    wait_for(lambda: _root_has(desktop, "_NET_SUPPORTING_WM_CHECK"), 20, 0.1, "openbox")
    yield proc
    _kill(proc)


def focused(desktop) -> str:
    return desktop.run("xdotool", "getwindowfocus").stdout.decode().strip()


class X:
    """A python-xlib connection of the test's own, to look at windows."""

    def __init__(self, desktop):
        from Xlib import display

        self.d = display.Display(desktop.env["DISPLAY"])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.d.close()

    def window(self, wid: int):
        return self.d.create_resource_object("window", wid)

    def atom_names(self, wid: int, prop: str) -> list:
        from Xlib import Xatom

        value = self.window(wid).get_full_property(self.d.intern_atom(prop), Xatom.ATOM)
        return [self.d.get_atom_name(a) for a in (value.value if value else [])]


def _root_has(desktop, prop: str) -> bool:
    with X(desktop) as x:
        return x.d.screen().root.get_full_property(x.d.intern_atom(prop), 0) is not None


def map_state(desktop, wid: int) -> str:
    from Xlib import X as XC

    with X(desktop) as x:
        state = x.window(wid).get_attributes().map_state
    return {XC.IsViewable: "IsViewable", XC.IsUnmapped: "IsUnMapped"}.get(state, "IsUnviewable")


@pytest.mark.e2e
def test_indicator_shows_while_typing_goes_to_the_focused_window(desktop, window_manager, textbox):
    textbox.focus()
    before = focused(desktop)
    indicator = RecordingIndicator(desktop.env["DISPLAY"])
    indicator.start()
    try:
        indicator.set_status(Status(State.RECORDING))
        assert wait_shown(indicator, True)
        wait_for(lambda: map_state(desktop, indicator.window_id) == "IsViewable", 5, 0.05, "the indicator mapped")
        time.sleep(0.3)  # give a window manager time to (wrongly) move the focus
        assert focused(desktop) == before, "mapping the indicator moved the focus"
        desktop.xdotool("type", "--delay", "5", TEXT)
        wait_for(lambda: textbox.text() == TEXT, 20, 0.05, "the typed text in the Tk window")
        assert focused(desktop) == before
        desktop.xdotool("mousemove", "--sync", "1200", "30")  # onto the indicator
        under = desktop.run("xdotool", "getmouselocation", "--shell").stdout.decode()
        assert f"WINDOW={indicator.window_id}\n" not in under, under  # the pointer goes through it (empty input shape)
        with X(desktop) as x:
            win = x.window(indicator.window_id)
            hints = win.get_wm_hints()
            assert hints.flags & 1 and hints.input == 0  # InputHint: "never give me the keyboard"
            assert x.atom_names(indicator.window_id, "_NET_WM_WINDOW_TYPE") == ["_NET_WM_WINDOW_TYPE_NOTIFICATION"]
            assert win.get_attributes().override_redirect
        indicator.set_status(Status(State.TRANSCRIBING))
        assert wait_shown(indicator, False)
        wait_for(lambda: map_state(desktop, indicator.window_id) == "IsUnMapped", 5, 0.05, "the indicator hidden")
        assert focused(desktop) == before
    finally:
        indicator.stop()
    print(f"\nindicator: {'openbox' if window_manager else 'no window manager'}; focus stayed on {before}")


def test_is_available_without_display():
    assert "DISPLAY" in RecordingIndicator.is_available({})
    with pytest.raises(Exception):  # noqa: B017  (any failure to open the display will do)
        indicator = RecordingIndicator(":9999")
        indicator.start()


@pytest.mark.e2e
def test_control_a_normal_window_does_take_the_focus_here(desktop, window_manager, textbox):
    """The negative control: under this window manager a plain new window gets the
    focus, so the indicator test above really shows something."""
    from Xlib import X, display

    textbox.focus()
    before = focused(desktop)
    d = display.Display(desktop.env["DISPLAY"])
    try:
        screen = d.screen()
        win = screen.root.create_window(
            100, 400, 200, 50, 0, screen.root_depth, X.InputOutput, X.CopyFromParent, background_pixel=0x00FF00
        )
        win.set_wm_name("sayso control window")
        win.map()
        d.flush()
        try:
            wait_for(lambda: focused(desktop) != before, 5, 0.05, "openbox to focus the new window")
        except AssertionError:  # openbox's focus-stealing prevention, right after typing: inconclusive
            pytest.skip("openbox kept the focus this time (focus-stealing prevention): control inconclusive")
        finally:
            win.destroy()
            d.flush()
    finally:
        d.close()


INDICATOR_CONFIG = """
[hotkeys]
backend = "external"
[notify]
desktop = false
sounds = false
indicator = true
"""


def indicator_windows(desktop) -> list:
    proc = desktop.run("xdotool", "search", "--name", "^sayso recording$", check=False)
    return proc.stdout.decode().split()


@pytest.mark.e2e
def test_the_daemon_shows_the_indicator_while_recording_and_keystrokes_stay(
    desktop, window_manager, textbox, daemon_factory
):
    daemon = daemon_factory(INDICATOR_CONFIG, wait_model=False)
    (wid,) = wait_for(lambda: indicator_windows(desktop) or None, 10, 0.1, "the daemon's indicator window")
    textbox.focus()
    before = focused(desktop)
    assert map_state(desktop, int(wid)) == "IsUnMapped"
    assert desktop.sayso("ctl", "dictate", "start").returncode == 0
    wait_for(lambda: map_state(desktop, int(wid)) == "IsViewable", 5, 0.02, "the indicator to show")
    desktop.xdotool("type", "--delay", "20", TEXT)  # typed while it shows
    assert textbox.wait_stable(previous="") == TEXT  # every character arrived
    assert focused(desktop) == before
    assert desktop.sayso("ctl", "dictate", "cancel").returncode == 0
    wait_for(lambda: map_state(desktop, int(wid)) == "IsUnMapped", 5, 0.02, "the indicator to hide")
    assert "Dictation cancelled" in daemon.log
