"""The individual ``sayso doctor`` checks: each takes the context, returns a Check."""

from __future__ import annotations

import shutil

from ..core.errors import SaysoError
from .base import (
    FAIL,
    INPUT_GROUP_FIX,
    OK,
    SILENCE_DBFS,
    WARN,
    Check,
    Context,
    device_names,
    first_line,
    now,
    record_level,
    run_tool,
)

IMPORT_ENV_FIX = (
    "start sayso from your desktop session; for the service run "
    "'systemctl --user import-environment DISPLAY WAYLAND_DISPLAY XDG_SESSION_TYPE'"
)


def check_session(ctx: Context) -> Check:
    env = ctx.env
    desktop = env.get("XDG_CURRENT_DESKTOP") or "unknown desktop"
    if ctx.session == "wayland":
        if not env.get("WAYLAND_DISPLAY"):
            return Check("session", FAIL, "Wayland session but WAYLAND_DISPLAY is not set", IMPORT_ENV_FIX)
        xw = f", XWayland {env['DISPLAY']}" if env.get("DISPLAY") else ", no XWayland"
        return Check("session", OK, f"wayland ({env['WAYLAND_DISPLAY']}, {desktop}{xw})")
    if ctx.session == "x11":
        if not env.get("DISPLAY"):
            return Check(
                "session", FAIL, "no graphical session: DISPLAY and WAYLAND_DISPLAY are not set", IMPORT_ENV_FIX
            )
        return Check("session", OK, f"x11 (DISPLAY={env['DISPLAY']}, {desktop})")
    return Check("session", OK, ctx.session)


def _x_extensions(env, *names) -> dict:
    from Xlib import display

    d = display.Display(env.get("DISPLAY"))
    try:
        return {n: bool(d.has_extension(n)) for n in names}
    finally:
        d.close()


def check_hotkeys(ctx: Context) -> Check:
    from ..desktop.keys.listener import PynputListener

    backend = ctx.config.hotkeys.backend
    if backend == "external":
        return Check(
            "hotkeys", OK, "external: bind keys to 'sayso ctl dictate start|stop' in your desktop (docs/desktop.md)"
        )
    wayland = ctx.session == "wayland"
    if backend == "portal" or (backend == "auto" and wayland):
        portal = _portal_hotkeys(ctx)
        if portal is not None:
            return portal
    if backend == "evdev" or (backend == "auto" and wayland):
        why = _evdev_reason(ctx)
        if why is None:
            return Check("hotkeys", OK, "evdev: keyboards in /dev/input are readable")
        if backend == "evdev":
            return Check(
                "hotkeys", FAIL, f"evdev: {why}", INPUT_GROUP_FIX if "permission" in why else "see the message"
            )
        return Check(
            "hotkeys",
            WARN,
            f"auto on Wayland: evdev not usable ({why}); pynput only sees XWayland windows",
            INPUT_GROUP_FIX,
        )
    why = PynputListener.is_available(ctx.env)
    if why is None and ctx.session == "x11":
        try:
            ext = _x_extensions(ctx.env, "RECORD")
        except Exception as err:
            why = f"cannot open the X display {ctx.env.get('DISPLAY')!r}: {first_line(str(err))}"
        else:
            why = None if ext["RECORD"] else "the X server lacks the RECORD extension"
    if why:
        return Check("hotkeys", FAIL, f"pynput: {why}", 'use hotkeys.backend = "evdev" or "external"')
    return Check("hotkeys", OK, f"pynput ({'X RECORD' if ctx.session == 'x11' else ctx.session})")


def _portal_hotkeys(ctx: Context):
    """The GlobalShortcuts portal's check; None to go on with evdev (auto, no portal)."""
    from ..desktop.portal.listener import PortalListener

    why = PortalListener.is_available(ctx.env)
    if why is None:
        return Check("hotkeys", OK, "portal (GlobalShortcuts): press and release; the keys it bound are under 'daemon'")
    if ctx.config.hotkeys.backend == "portal":
        return Check(
            "hotkeys",
            FAIL,
            f"portal: {why}",
            "use a desktop with the GlobalShortcuts portal (KDE, GNOME 48+) "
            'or hotkeys.backend = "external" (docs/desktop.md)',
        )
    return None


def _evdev_reason(ctx: Context):
    try:
        from ..desktop.keys.evdev import EvdevListener
    except ImportError as err:
        return f"cannot load the evdev backend: {err}"
    return EvdevListener.is_available(ctx.env, ctx.config.hotkeys.evdev_device)


def check_microphone(ctx: Context) -> Check:
    from ..audio.capture import resolve_device

    try:
        resolve_device(ctx.config.audio.input_device, "input")
        level, name = record_level(ctx.config, 1.0)
    except SaysoError as err:
        fix = f"plug in / enable a microphone, or set audio.input_device to one of: {device_names('input')}"
        return Check("microphone", FAIL, str(err), fix)
    if level <= SILENCE_DBFS:
        shown = "digital silence" if level == float("-inf") else f"{level:.0f} dBFS"
        return Check(
            "microphone",
            WARN,
            f"{name}: 1 s recorded, but it is silent ({shown})",
            "unmute it or raise its input volume (pavucontrol / system settings), or pick another device",
        )
    return Check("microphone", OK, f"{name}: 1 s recorded, peak {level:.0f} dBFS")


def check_speakers(ctx: Context) -> Check:
    import sounddevice as sd

    from ..audio.capture import resolve_device

    try:
        device = resolve_device(ctx.config.audio.output_device, "output")
    except SaysoError as err:
        return Check("speakers", FAIL, str(err), f"set audio.output_device to one of: {device_names('output')}")
    name = sd.query_devices(device, "output")["name"] if device is not None else "system default"
    return Check("speakers", OK, f"output device: {name}")


def check_clipboard(ctx: Context) -> Check:
    if ctx.session == "wayland":
        missing = [t for t in ("wl-copy", "wl-paste") if shutil.which(t) is None]
        if missing:
            return Check("clipboard", FAIL, f"{' and '.join(missing)} not found", "install wl-clipboard")
        proc = run_tool(["wl-paste", "--list-types"], ctx.env)
        if proc is None or (proc.returncode != 0 and "nothing is copied" not in (proc.stderr or "").lower()):
            err = first_line(proc.stderr) if proc else "no answer"
            return Check("clipboard", FAIL, f"wl-paste cannot reach the compositor: {err}", IMPORT_ENV_FIX)
        return Check("clipboard", OK, "wl-clipboard")
    if ctx.session == "x11":
        if shutil.which("xclip") is None:
            return Check("clipboard", FAIL, "xclip not found", "install xclip")
        proc = run_tool(["xclip", "-selection", "clipboard", "-o", "-t", "TARGETS"], ctx.env)
        if proc is not None and "display" in (proc.stderr or "").lower():
            return Check("clipboard", FAIL, f"xclip: {first_line(proc.stderr)}", IMPORT_ENV_FIX)
        return Check("clipboard", OK, "xclip")
    return Check("clipboard", OK, "pyperclip (text only)")


def check_selection(ctx: Context) -> Check:
    if ctx.session == "wayland":
        proc = run_tool(["wl-paste", "--primary", "--list-types"], ctx.env)
        err = (proc.stderr or "").lower() if proc else "wl-paste missing"
        if proc is None or "not supported" in err:
            return Check(
                "selection",
                WARN,
                "the compositor has no primary selection",
                'read-aloud copies the selection instead (speak.selection_method = "copy")',
            )
        return Check("selection", OK, "primary selection via wl-paste --primary")
    if ctx.session == "x11":
        return Check("selection", OK if shutil.which("xclip") else FAIL, "primary selection via xclip", "install xclip")
    return Check("selection", OK, "copied with the copy shortcut (no primary selection here)")


def check_typing(ctx: Context) -> Check:
    if ctx.session == "x11":
        try:
            ext = _x_extensions(ctx.env, "XTEST")
        except Exception as err:
            return Check("typing", FAIL, f"cannot open the X display: {first_line(str(err))}", IMPORT_ENV_FIX)
        if ext["XTEST"]:
            return Check("typing", OK, "XTEST" + (" (xdotool also present)" if shutil.which("xdotool") else ""))
        return Check("typing", FAIL, "the X server lacks XTEST", 'use output.method = "paste"')
    if ctx.config.output.method == "portal":
        return _portal_typing(ctx)
    if ctx.session != "wayland":
        return Check("typing", OK, "pynput (macOS: allow Accessibility for your terminal / sayso)")
    return _wayland_typing(ctx)


def _portal_typing(ctx: Context) -> Check:
    from ..desktop.portal.remote import PortalKeyboard

    why = PortalKeyboard.is_available(ctx.env)
    if why:
        return Check("typing", FAIL, f"portal: {why}", 'use output.method = "auto" (docs/desktop.md)')
    return Check("typing", OK, "portal (RemoteDesktop keyboard; the desktop asks once at the first dictation)")


def _wayland_typing(ctx: Context) -> Check:
    ydotool = shutil.which("ydotool") is not None
    proc = run_tool(["wtype", "-s", "1"], ctx.env)  # types nothing: checks the protocol only
    if proc is not None and proc.returncode == 0:
        return Check("typing", OK, "wtype (virtual keyboard protocol)" + (", ydotool as fallback" if ydotool else ""))
    why = first_line(proc.stderr) if proc is not None else "wtype not found"
    portal = _portal_typing(ctx)
    if portal.status == OK:
        return Check(
            "typing",
            OK,
            f"wtype unusable ({why}); the RemoteDesktop portal will be used"
            + (", ydotool as fallback" if ydotool else ""),
        )
    if ydotool:
        return Check(
            "typing",
            WARN,
            f"wtype unusable ({why}); ydotool (uinput) will be used",
            "make sure ydotoold runs (systemctl --user enable --now ydotool) and /dev/uinput is writable",
        )
    return Check(
        "typing",
        FAIL,
        f"no way to type: {why}; ydotool not found",
        "install wtype (wlroots/KDE) or ydotool + ydotoold (GNOME: no virtual keyboard protocol)",
    )


def check_speech_model(ctx: Context) -> Check:
    from ..dictate.engines.faster_whisper import Transcriber

    t0 = now()
    try:
        Transcriber.load(ctx.config.stt)
    except SaysoError as err:
        return Check(
            "speech model", FAIL, str(err), "set stt.model to 'bundled:tiny.en', a size name, or a model folder"
        )
    return Check("speech model", OK, f"{ctx.config.stt.model} loaded in {now() - t0:.1f} s")


def check_voice(ctx: Context) -> Check:
    from ..speak.engines.piper import Voice
    from ..speak.voices import VoiceRegistry

    name = ctx.config.speak.voice
    registry = VoiceRegistry()
    try:
        Voice.load(registry.get(name), registry.user_dir)
    except SaysoError as err:
        return Check("voice", FAIL, str(err), "'sayso voices list' shows what is installed; set speak.voice")
    return Check("voice", OK, f"voice '{name}' loads")


def check_rewrite(ctx: Context) -> Check:
    from ..rewrite.engines.base import NO_MODEL_HINT
    from ..rewrite.engines.choose import EngineSet

    cfg = ctx.config.rewrite
    engines = EngineSet(cfg)
    wanted = cfg.engine
    try:
        if wanted != "auto":
            engine = engines.get(wanted)
            if wanted == "harper":
                engine.fix("This are a test.")  # type: ignore[attr-defined]  # the harper engine: loads the linter
            elif not engine.available():
                return Check("rewrite", FAIL, f"the {wanted} engine is not reachable", NO_MODEL_HINT)
            return Check("rewrite", OK, f"{wanted} engine ready")
        found = [name for name in ("openai", "llama") if engines.get(name).available()]
    except SaysoError as err:
        return Check("rewrite", FAIL, str(err), NO_MODEL_HINT)
    finally:
        engines.close()
    if not found:
        return Check(
            "rewrite", WARN, "only Harper (English 'fix'); no language model for the other actions", NO_MODEL_HINT
        )
    label = {"openai": f"server at {cfg.base_url}", "llama": "embedded model"}
    return Check("rewrite", OK, "Harper for 'fix'; " + " and ".join(label[f] for f in found) + " for the rest")


def check_daemon(ctx: Context) -> Check:
    import os
    import stat

    from ..control.client import request
    from ..control.protocol import socket_path
    from ..core.errors import NoDaemonError

    path = socket_path(ctx.env)
    try:
        reply = request("status", env=ctx.env, timeout=5.0)
    except NoDaemonError:
        return Check("daemon", WARN, f"not running (no socket at {path})", "'sayso run', or 'sayso service install'")
    except SaysoError as err:
        return Check("daemon", FAIL, str(err), "stop stray daemons ('sayso ctl quit'), then start one")
    modes = (stat.S_IMODE(os.stat(path.parent).st_mode), stat.S_IMODE(os.stat(path).st_mode))
    if modes != (0o700, 0o600):
        return Check("daemon", FAIL, f"unsafe permissions {modes[0]:o}/{modes[1]:o} on {path}", "restart the daemon")
    hotkeys = reply.get("backends", {}).get("hotkeys")
    bound = reply.get("backends", {}).get("portal_shortcuts")
    if isinstance(bound, dict):  # what the desktop bound, which may differ from what sayso asked for
        hotkeys = (
            f"{hotkeys}: " + ", ".join(f"{k} {v}" for k, v in bound.items()) if bound else f"{hotkeys}: none bound"
        )
    return Check(
        "daemon", OK, f"running (pid {reply.get('pid')}, {reply.get('state')}, hotkeys {hotkeys}), socket {path}"
    )
