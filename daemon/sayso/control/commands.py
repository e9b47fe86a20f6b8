"""What the control socket's commands do: requests mapped onto daemon actions.

``dictate``/``speak``/``rewrite``/``undo`` run the daemon's named actions
(``dictate.start``, ``speak.stop``, ``rewrite.fix``...), which the pipelines
register; ``status`` reports state, models, backends and the last error.
Replies carry numbers and status words only, never the user's text (except
``history``, which is what it is for).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import logging
import os
import re
from pathlib import Path
from typing import Any, Optional

from ..core.errors import AlreadyRunningError, ControlError, ProtocolError, SaysoError, first_line
from .protocol import Reply, Request, socket_path
from .server import ControlServer
from .view import ControlledApp

COMMANDS = (
    "dictate",
    "speak",
    "rewrite",
    "undo",
    "status",
    "reload",
    "quit",
    "history",
    "read",
    "describe",
    "type",
)
#: ``read X`` / ``describe X``: the screen-reading actions (``see.read_region`` ...)
SEE = ("region", "window", "screen", "clipboard")
DICTATE = ("start", "stop", "toggle", "cancel", "retry", "raw")
SPEAK = ("selection", "clipboard", "stop", "pause", "skip", "faster", "slower")
#: ``speak X`` -> daemon action names to try, the first registered wins
SPEAK_ACTIONS = {"selection": ("speak.selection", "speak.toggle")}
WAIT_TIMEOUT_S = 300.0
_ACTION_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_SAFE_STRINGS = ("status", "method", "engine", "error", "action", "voice", "state")

_LOGGER = logging.getLogger(__name__)


class Commands:
    """Maps requests onto the daemon's named actions."""

    def __init__(self, daemon: ControlledApp, server: Optional[ControlServer] = None) -> None:
        self.daemon = daemon
        self.server = server

    def run(self, req: Request) -> Reply:
        handler = getattr(self, f"cmd_{req.cmd}", None) if req.cmd in COMMANDS else None
        if handler is None:
            raise ProtocolError(f"unknown command {req.cmd!r} (one of: {', '.join(COMMANDS)})")
        return handler(req)

    # --- actions -------------------------------------------------------------
    def cmd_dictate(self, req: Request) -> Reply:
        if len(req.args) == 2 and req.args[0] == "retry":  # retry TIME: that kept recording
            try:
                when = float(req.args[1])
            except ValueError:
                raise ProtocolError("usage: dictate retry [TIME] (an entry's time in 'sayso history')") from None
            return self._reply("dictate.retry", self.daemon.dictation.retry(when), req.wait)
        what = _one_arg(req, DICTATE, "dictate")
        dictation = self.daemon.dictation
        if what == "toggle" and dictation.recording:
            what = "stop"  # started by 'dictate start': the press mode does not know it
        if what == "stop" and req.wait:
            future = dictation.stop()  # the pending result; the action below then finds nothing to stop
            self.daemon.run_action("dictate.stop")
            return self._reply("dictate.stop", future, True)
        if what == "raw":  # put the raw transcript back over the last cleaned dictation
            return self._action(self._pick(("dictate.raw",), "dictate raw (dictate.cleanup)"), req.wait)
        reply = self._action(f"dictate.{what}", req.wait)
        if what == "start" and not dictation.recording:
            raise ControlError(dictation.last_error or "the recording did not start (see the log)")
        return reply

    def cmd_speak(self, req: Request) -> Reply:
        what = _one_arg(req, SPEAK, "speak")
        return self._action(self._pick(SPEAK_ACTIONS.get(what, (f"speak.{what}",)), "read-aloud"), req.wait)

    def cmd_rewrite(self, req: Request) -> Reply:
        if len(req.args) == 4 and req.args[0] == "accept":  # rewrite accept ACTION ORIGINAL NEW: a previewed rewrite
            if self.daemon.rewrite is None:
                raise ControlError("rewrite is not available in this daemon")
            name = f"rewrite.{req.args[1]}"
            return self._reply(name, self.daemon.rewrite.accept(req.args[1], req.args[2], req.args[3]), True)
        if len(req.args) != 1 or not _ACTION_NAME.match(req.args[0]):
            raise ProtocolError("usage: rewrite ACTION (fix, formal, concise, ... or your own)")
        name = f"rewrite.{req.args[0]}"
        if name not in self.daemon.actions:
            known = sorted(
                n.split(".", 1)[1]
                for n in self.daemon.actions
                if n.startswith("rewrite.") and n not in ("rewrite.undo", "rewrite.cancel", "rewrite.force-last")
            )
            if not known:
                raise ControlError("rewrite is not available in this daemon")
            raise ControlError(f"unknown rewrite action {req.args[0]!r} (known: {', '.join(known)})")
        return self._action(name, req.wait)

    def cmd_read(self, req: Request) -> Reply:
        what = _one_arg(req, SEE, "read")
        return self._action(self._pick((f"see.read_{what}",), "reading the screen"), req.wait)

    def cmd_describe(self, req: Request) -> Reply:
        what = _one_arg(req, SEE + ("details",), "describe")
        return self._action(self._pick((f"see.describe_{what}",), "describing the screen"), req.wait)

    def cmd_undo(self, req: Request) -> Reply:
        _no_args(req)
        return self._action(self._pick(("rewrite.undo",), "rewrite"), req.wait)

    def _pick(self, names: tuple, what: str) -> str:
        for name in names:
            if name in self.daemon.actions:
                return name
        raise ControlError(f"{what} is not available in this daemon (no action {names[0]})")

    def _action(self, name: str, wait: bool) -> Reply:
        return self._reply(name, self.daemon.run_action(name), wait)

    def _reply(self, name: str, result: Any, wait: bool) -> Reply:
        if isinstance(result, concurrent.futures.Future):
            if not wait:
                return Reply(True, data={"action": name})
            try:
                result = result.result(WAIT_TIMEOUT_S)
            except concurrent.futures.TimeoutError:
                raise ControlError(f"{name} did not finish within {WAIT_TIMEOUT_S:.0f} s") from None
        data: dict = {"action": name}
        summary = summarize(result)
        if summary:
            data["result"] = summary
        if summary.get("status") == "failed" or summary.get("ok") is False:
            raw = _as_dict(result)
            message = str(raw.get("error") or raw.get("message") or f"{name} failed")
            code = raw.get("status") if isinstance(raw.get("status"), int) and raw.get("status") > 0 else 1
            return Reply(False, first_line(message), int(code), data)
        return Reply(True, data=data)

    # --- daemon --------------------------------------------------------------
    def cmd_status(self, req: Request) -> Reply:
        if req.args == ["watch"]:  # one line now, then one per change of state (sayso ctl status --watch)
            from ..desktop.portal.statusline import watch

            return Reply(True, stream=lambda write, stop: watch(self.daemon.desktop.publisher, write, stop))
        if req.args:
            raise ProtocolError("usage: status [watch]")
        return Reply(True, data=daemon_status(self.daemon, self.server))

    def cmd_history(self, req: Request) -> Reply:
        """``history``: the entries; ``history clear``; ``history delete TIME`` (an entry's ``time``)."""
        if not req.args:
            return Reply(True, data={"entries": self.daemon.history.as_list()})
        if req.args == ["clear"]:
            return Reply(True, data={"deleted": self.daemon.forget_history(None)})
        if len(req.args) == 2 and req.args[0] == "delete":
            try:
                when = float(req.args[1])
            except ValueError:
                raise ProtocolError("usage: history [clear | delete TIME]") from None
            return Reply(True, data={"deleted": self.daemon.forget_history([when])})
        raise ProtocolError("usage: history [clear | delete TIME]")

    def cmd_type(self, req: Request) -> Reply:
        """``type TEXT``: the daemon types *TEXT* where the focus is, as a dictation's text is typed
        (the History page's "Type again"); the reply has its length and method, never the text."""
        if len(req.args) != 1 or not req.args[0]:
            raise ProtocolError("usage: type TEXT")
        from ..core.edit import Edit

        method = self.daemon.output.insert(Edit(0, req.args[0]))
        _LOGGER.info("Typed %d characters again (%s)", len(req.args[0]), method)
        return Reply(True, data={"method": method, "chars": len(req.args[0])})

    def cmd_reload(self, req: Request) -> Reply:
        _no_args(req)
        from ..core.config import load_config

        path = Path(self.daemon.config_path) if self.daemon.config_path else None
        try:
            load_config(path, self.daemon.env)
        except SaysoError as err:
            self.daemon.reload()  # reports it (log + notice) and keeps the old config
            raise type(err)(f"config not reloaded, the old one is kept: {first_line(err)}") from None
        if not self.daemon.reload():
            raise ControlError("config not reloaded, the old one is kept (see the log)")
        return Reply(
            True, data={"config": str(self.daemon.config.source), "needs_restart": list(self.daemon.needs_restart)}
        )

    def cmd_quit(self, req: Request) -> Reply:
        _no_args(req)
        return Reply(True, data={"pid": os.getpid()})


def _one_arg(req: Request, choices: tuple, cmd: str) -> str:
    if len(req.args) != 1 or req.args[0] not in choices:
        raise ProtocolError(f"usage: {cmd} {'|'.join(choices)}")
    return req.args[0]


def _no_args(req: Request) -> None:
    if req.args:
        raise ProtocolError(f"{req.cmd} takes no arguments")


def _as_dict(value: Any) -> dict:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value if isinstance(value, dict) else {}


def summarize(value: Any) -> dict:
    """Numbers, flags and a few status strings of an action's result (no user text)."""
    if isinstance(value, (bool, int, float)):
        return {"value": value}
    value = _as_dict(value)
    out = {}
    for key, val in value.items():
        if isinstance(val, bool) or isinstance(val, (int, float)) or val is None:
            out[key] = val
        elif isinstance(val, str) and key in _SAFE_STRINGS:
            out[key] = val[:300]
        elif isinstance(val, str) and key == "text":
            out["chars"] = len(val)
    return out


def daemon_status(daemon: ControlledApp, server: Optional[ControlServer] = None) -> dict:
    """State, models, backends and the last error, as plain JSON values."""
    from .. import __version__

    dictation = daemon.dictation
    speak = daemon.speak
    state = "idle"
    if dictation.recording:
        state = "recording"
    elif getattr(dictation, "busy", False):
        state = "transcribing"
    elif speak is not None and callable(getattr(speak, "status", None)):
        spoken = speak.status().get("state")
        state = spoken if spoken in ("speaking", "paused") else state
    return {
        "state": state,
        "pid": os.getpid(),
        "version": __version__,
        "session": daemon.session,
        "config": str(daemon.config.source),
        "models": _models(daemon),
        "backends": _backends(daemon),
        "actions": sorted(daemon.actions),
        "last_error": _last_error(daemon, server),
    }


def _models(daemon: ControlledApp) -> dict:
    out = {"stt": _slot_state(daemon.stt)}
    for name in ("speak", "rewrite"):
        pipeline = daemon.speak if name == "speak" else daemon.rewrite
        if pipeline is None:
            out[name] = "not available"
            continue
        status = getattr(pipeline, "status", None)
        try:
            info = status() if callable(status) else None
        except Exception as err:
            info = {"error": first_line(err)}
        out[name] = summarize(info) if isinstance(info, dict) else "available (models load on first use)"
    return out


def _slot_state(slot) -> str:
    if slot.ready:
        return "loaded"
    future = getattr(slot, "_future", None)
    if future is not None and future.done():
        return "failed"
    return "loading"


def _backends(daemon: ControlledApp) -> dict:
    listener, output, notifier = daemon.listener, daemon.output, daemon.notifier
    bound = getattr(listener, "bound", None)
    return {
        "hotkeys": getattr(listener, "name", None),
        **({"portal_shortcuts": bound()} if callable(bound) else {}),
        "output": output.methods() if output is not None else [],
        "clipboard": getattr(daemon.clipboard, "name", None),
        "notifications": getattr(notifier, "backend", "log" if notifier is not None and not notifier.enabled else None),
        "control": str(server_path(daemon)),
    }


def server_path(daemon: ControlledApp) -> Optional[Path]:
    server = daemon.control
    return server.path if server is not None else None


def _last_error(daemon: ControlledApp, server: Optional[ControlServer]) -> str:
    for candidate in (getattr(daemon.dictation, "last_error", ""), server.last_error if server else ""):
        if candidate:
            return candidate
    for summary, urgency in reversed(getattr(daemon.notifier, "sent", [])):
        if urgency == "critical":
            return summary
    return ""


def ensure_server(daemon: ControlledApp) -> Optional[ControlServer]:
    """Start the daemon's control server once (``start()`` runs again on reload)."""
    existing = daemon.control
    if existing is not None:
        return existing
    server = ControlServer(daemon, socket_path(daemon.env), Commands)
    try:
        server.start()
    except AlreadyRunningError:
        raise
    except SaysoError as err:
        if daemon.config.hotkeys.backend == "external":
            raise ControlError(f"{err} (hotkeys.backend is external: sayso ctl is the only way in)") from None
        _LOGGER.error("%s; 'sayso ctl' will not work", err)
        return None
    return server
