"""``sayso doctor`` lines for reading the screen: capture, OCR, describe."""

from __future__ import annotations

from ..core.errors import SaysoError
from .base import FAIL, OK, WARN, Check, Context


def check_capture(ctx: Context) -> Check:
    if ctx.session == "wayland":
        from ..desktop.portal.xdp import check_portal

        return _portal_check(check_portal, ctx)
    if ctx.session != "x11":
        detail = f"screen capture works on X11 and Wayland only ({ctx.session} session); files still work"
        return Check("capture", WARN, detail)
    from ..see.capture import Box, grab, open_display

    try:
        d = open_display(ctx.env.get("DISPLAY"))
        try:
            grab(d, Box(0, 0, 1, 1))
            geometry = d.screen().root.get_geometry()
        finally:
            d.close()
    except SaysoError as err:
        return Check("capture", FAIL, str(err), "run sayso inside your X session (DISPLAY)")
    return Check("capture", OK, f"X11 screen {geometry.width}x{geometry.height}: region, window, screen")


def _portal_check(check_portal, ctx: Context) -> Check:
    why, version = check_portal("org.freedesktop.portal.Screenshot", ctx.env)
    if why:
        return Check("capture", FAIL, f"Screenshot portal: {why}",
                     "install your desktop's xdg-desktop-portal backend (kde, gnome, wlr)")  # fmt: skip
    return Check("capture", OK, f"Screenshot portal version {version}: the screen, the window; {_region(ctx)}")


def _region(ctx: Context) -> str:
    """How a region is chosen on this Wayland desktop: slurp + grim on wlroots, else the portal's dialog."""
    from ..see.wlroots import grim_works, region_tools

    tools = region_tools(ctx.env)
    if tools is None:
        return "a region in the desktop's own dialog (install slurp and grim for a drag on wlroots)"
    why = grim_works(tools[1], ctx.env)
    if why:
        return f"a region in the desktop's own dialog (grim: {why})"
    return "a region dragged with slurp, captured by grim"


def check_ocr(ctx: Context) -> Check:
    from ..see.ocr.choose import installed, make_ocr
    from ..see.ocr.tesseract import installed_languages, tessdata_dir

    cfg = ctx.config.see
    fix = "pip install tesserocr; apt install tesseract-ocr-eng (scripts/setup.sh does both)"
    try:
        engine = make_ocr(cfg.ocr_engine, cfg.language, installed())
        engine.load()
        engine.close()
    except SaysoError as err:
        return Check("ocr", FAIL, str(err), fix)
    folder = tessdata_dir(ctx.env)
    return Check("ocr", OK, f"Tesseract ({engine.languages}) from {folder}; installed: "
                 f"{', '.join(installed_languages(folder))}")  # fmt: skip


def check_describe(ctx: Context) -> Check:
    from ..see.describe.llama_vision import LlamaVision
    from ..see.describe.openai_vision import OpenAIVision

    cfg = ctx.config.see
    fix = ("start a vision server (ollama with a vision model) at see.base_url, or 'sayso models pull smolvlm-256m'"
           " (or set see.model and see.projector to GGUF paths)")  # fmt: skip
    try:
        server = OpenAIVision(cfg) if cfg.describe_engine in ("auto", "openai") else None
    except SaysoError as err:
        return Check("describe", FAIL, str(err), fix)
    found = []
    if server is not None and server.available():
        found.append(f"server at {server.http.endpoint.display}")
    local = LlamaVision(cfg)
    if cfg.describe_engine in ("auto", "llama") and local.available():
        files = local.files()
        found.append(f"local model {files.model.name if files else cfg.model}")
    if not found:
        status = WARN if cfg.describe_engine == "auto" else FAIL
        return Check("describe", status, "no vision engine answers: pictures cannot be described", fix)
    return Check("describe", OK, " and ".join(found))
