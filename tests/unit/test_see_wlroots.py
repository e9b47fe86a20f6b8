"""How sayso.see.wlroots takes what slurp and grim say: their exits and messages, as the
real tools give them (the strings are slurp 1.4's and grim 1.4's), from small scripts in
their place. The real tools on a real compositor: tests/e2e/test_see_region_wayland_e2e.py."""

from __future__ import annotations

import io
import stat

import pytest
from PIL import Image

from sayso.core.errors import CancelledError, CaptureError, InputError
from sayso.see import capture as capture_module
from sayso.see import wlroots
from sayso.see.image import Shot


def _tool(tmp_path, name: str, script: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def _png_tool(tmp_path) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (30, 20), "white").save(buf, format="PNG")
    (tmp_path / "shot.png").write_bytes(buf.getvalue())
    return _tool(tmp_path, "grim-png", f'cat "{tmp_path / "shot.png"}"\n')


@pytest.mark.parametrize(
    "script, error, message",
    [
        ('echo "selection cancelled" >&2; exit 1\n', CancelledError, "^region capture cancelled$"),
        ('echo "compositor doesn\'t support zwlr_layer_shell_v1" >&2; exit 1\n', wlroots.Unsupported, "layer_shell"),
        ('echo "failed to create display" >&2; exit 1\n', CaptureError, r"^slurp failed \(exit 1\): failed to create"),
        ('echo "nonsense"\n', CaptureError, "^slurp printed an unexpected selection"),
        ('echo "10 10 2 2"\n', InputError, "^the selected region is empty"),
    ],
)
def test_what_slurp_says_is_one_line(tmp_path, script, error, message):
    tools = (_tool(tmp_path, "slurp", script), _png_tool(tmp_path))
    with pytest.raises(error, match=message):
        wlroots.capture_region(tools, 4, 10.0)


def test_the_box_goes_to_grim_and_its_png_is_read_in_memory(tmp_path):
    slurp = _tool(tmp_path, "slurp", 'echo "40 30 30 20"\n')
    _png_tool(tmp_path)
    grim = _tool(tmp_path, "grim", f'echo "$@" > "{tmp_path / "args"}"; cat "{tmp_path / "shot.png"}"\n')
    shot = wlroots.capture_region((slurp, grim), 4, 10.0)
    assert shot.size == (30, 20) and shot.source == "region"
    assert (tmp_path / "args").read_text().split() == ["-t", "png", "-l", "0", "-g", "40,30", "30x20", "-"]


def test_grim_without_screencopy_is_unsupported_and_a_bad_png_is_one_line(tmp_path):
    slurp = _tool(tmp_path, "slurp", 'echo "0 0 50 50"\n')
    unsupported = _tool(tmp_path, "grim", 'echo "compositor doesn\'t support wlr-screencopy-unstable-v1" >&2; exit 1\n')
    with pytest.raises(wlroots.Unsupported, match="wlr-screencopy"):
        wlroots.capture_region((slurp, unsupported), 4, 10.0)
    garbage = _tool(tmp_path, "grim2", 'echo "not a png"\n')
    with pytest.raises(InputError, match="^the grim's PNG is not an image"):
        wlroots.capture_region((slurp, garbage), 4, 10.0)


def test_a_slurp_that_never_answers_is_cancelled(tmp_path):
    slurp = _tool(tmp_path, "slurp", "exec sleep 30\n")
    with pytest.raises(CancelledError, match="no selection within 1 s"):
        wlroots.capture_region((slurp, _png_tool(tmp_path)), 4, 1.0)


def test_an_unsupported_compositor_goes_to_the_portal(tmp_path, monkeypatch):
    slurp = _tool(tmp_path, "slurp", 'echo "compositor doesn\'t support zwlr_layer_shell_v1" >&2; exit 1\n')
    monkeypatch.setattr(wlroots, "region_tools", lambda env=None: (slurp, _png_tool(tmp_path)))
    asked = []
    monkeypatch.setattr(capture_module, "portal_capture", lambda kind: asked.append(kind) or Shot(None, kind))
    assert capture_module.wayland_capture("region").source == "region" and asked == ["region"]
    assert capture_module.wayland_capture("screen").source == "screen" and asked == ["region", "screen"]


def test_region_tools_need_a_wayland_display():
    assert wlroots.region_tools({}) is None
