"""Configuration: typed dataclasses loaded from TOML and validated.

``config/default.toml`` (shipped inside the package as ``sayso/default.toml``)
is the source of the defaults; the user's file is laid over it.  Every
problem is reported as one line naming the file, the line and the key.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import sys
import types
import typing
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Literal, Optional, Union

from .config_remote import RemoteSpeakConfig, RemoteSttConfig, ServeConfig  # (re-exported: __all__)
from .config_types import (  # (re-exported: __all__)
    AudioConfig,
    Config,
    DictateConfig,
    GeneralConfig,
    HotkeysConfig,
    NotifyConfig,
    OutputConfig,
    RewriteActionConfig,
    RewriteConfig,
    SpeakConfig,
    SttConfig,
)
from .errors import ConfigError
from .paths import config_home

__all__ = [
    "Where",
    "AudioConfig",
    "Config",
    "DictateConfig",
    "GeneralConfig",
    "HotkeysConfig",
    "NotifyConfig",
    "OutputConfig",
    "RETIRED",
    "RemoteSpeakConfig",
    "RemoteSttConfig",
    "RewriteActionConfig",
    "RewriteConfig",
    "ServeConfig",
    "SpeakConfig",
    "SttConfig",
    "default_toml_text",
    "find_key_line",
    "from_dict",
    "load_config",
    "parse_config_text",
    "to_toml",
    "user_config_path",
]

_LOGGER = logging.getLogger(__name__)
CLEANUP_MODES = ("off", "rules", "model")  # dictate.cleanup (DictateConfig.cleanup)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------


def default_toml_text() -> str:
    return resources.files("sayso").joinpath("default.toml").read_text(encoding="utf-8")


def user_config_path(env: Optional[typing.Mapping[str, str]] = None) -> Path:
    env = os.environ if env is None else env
    if env.get("SAYSO_CONFIG"):
        return Path(env["SAYSO_CONFIG"]).expanduser()
    return config_home(env) / "sayso" / "config.toml"


def load_config(path: Optional[Path] = None, env: Optional[typing.Mapping[str, str]] = None) -> Config:
    defaults = _parse_toml(default_toml_text(), "<default config>")
    explicit = path is not None or bool((os.environ if env is None else env).get("SAYSO_CONFIG"))
    path = Path(path) if path is not None else user_config_path(env)
    if not path.exists():
        if explicit:
            raise ConfigError(f"{path}: config file not found")
        cfg: Config = from_dict(Config, defaults, Where("<default config>", ""))
        return cfg
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read config: {getattr(err, 'strerror', None) or err}") from err
    user = _parse_toml(text, str(path))
    merged = _merge(defaults, user)
    cfg = from_dict(Config, merged, Where(str(path), text))
    assert isinstance(cfg, Config)
    cfg.source = str(path)
    _check_semantics(cfg, Where(str(path), text))
    return cfg


def parse_config_text(text: str, name: str = "<config>") -> Config:
    """Validate *text* laid over the defaults (used by tests and ``reload``)."""
    merged = _merge(_parse_toml(default_toml_text(), "<default config>"), _parse_toml(text, name))
    cfg = from_dict(Config, merged, Where(name, text))
    assert isinstance(cfg, Config)
    _check_semantics(cfg, Where(name, text))
    cfg.source = name
    return cfg


def _parse_toml(text: str, name: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as err:
        msg = str(err)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        where = f"{name}:{m.group(1)}" if m else name
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        raise ConfigError(f"{where}: invalid TOML: {msg}") from None


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@dataclass
class Where:
    """Where a value came from, to point errors at file:line key."""

    name: str
    text: str
    keys: tuple[str, ...] = ()

    def child(self, key: str) -> Where:
        return Where(self.name, self.text, self.keys + (key,))

    @property
    def dotted(self) -> str:
        return ".".join(self.keys)

    def line(self) -> Optional[int]:
        return find_key_line(self.text, self.keys) if self.text else None

    def error(self, problem: str) -> ConfigError:
        line = self.line()
        loc = f"{self.name}:{line}" if line else self.name
        return ConfigError(f"{loc}: {self.dotted}: {problem}")


def find_key_line(text: str, keys: tuple[str, ...]) -> Optional[int]:
    """Best-effort line number of dotted *keys* in TOML *text*."""
    if not keys:
        return None
    table: tuple[str, ...] = ()
    best, best_depth = None, 0
    key_re = re.compile(r'^\s*("([^"]+)"|[A-Za-z0-9_.\-]+)\s*=')
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        m = re.match(r"^\[+\s*([^\]]+?)\s*\]+", line)
        if m:
            table = tuple(p.strip().strip('"') for p in m.group(1).split("."))
            if table == tuple(keys[: len(table)]) and len(table) > best_depth:
                best, best_depth = no, len(table)  # the table holding the key (it may be missing)
            continue
        m = key_re.match(raw)
        if m:
            k = m.group(2) if m.group(2) else m.group(1)
            full = table + (tuple([k]) if m.group(2) else tuple(k.split(".")))
            if full == tuple(keys):
                return no
            if len(keys) > len(full) and tuple(keys[: len(full)]) == full and len(full) > best_depth:
                best, best_depth = no, len(full)
    return best


def from_dict(cls: type, data: Any, where: Where) -> Any:
    """Build dataclass *cls* from *data*, validating every key and type."""
    if not isinstance(data, dict):
        raise where.error(f"expected a table, got {_tname(data)}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.name != "source"}
    data = _without_retired(data, where)
    unknown = sorted(set(data) - names)
    if unknown:
        close = _suggest(unknown[0], names)
        raise where.child(unknown[0]).error("unknown key" + (f" (did you mean '{close}'?)" if close else ""))
    kwargs = {}
    for name in names:
        if name in data:
            kwargs[name] = _convert(hints[name], data[name], where.child(name))
    return cls(**kwargs)


#: keys older versions had, accepted with a warning so an old file still loads
RETIRED = {
    "stt.window": "no longer used: every transcription uses Whisper's full 30 s window (docs/latency.md)",
}


def _without_retired(data: dict[str, Any], where: Where) -> dict[str, Any]:
    kept = dict(data)
    for key in data:
        child = where.child(key)
        if child.dotted in RETIRED:
            line = child.line()
            _LOGGER.warning("%s%s: %s: %s", where.name, f":{line}" if line else "", child.dotted, RETIRED[child.dotted])
            del kept[key]
    return kept


def _convert(tp: Any, value: Any, where: Where) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, where)  # type: ignore[arg-type]  # a dataclass type, never an instance here
    if origin is Literal:
        if value not in args:
            raise where.error(f"must be one of {', '.join(repr(a) for a in args)}, got {value!r}")
        return value
    if origin in (Union, getattr(types, "UnionType", Union)):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value, where)
    if origin is list:
        if not isinstance(value, list):
            raise where.error(f"expected a list, got {_tname(value)}")
        return [_convert(args[0], v, where) for v in value]
    if origin is dict:
        if not isinstance(value, dict):
            raise where.error(f"expected a table, got {_tname(value)}")
        return {str(k): _convert(args[1], v, where.child(str(k))) for k, v in value.items()}
    if tp is bool:
        if not isinstance(value, bool):
            raise where.error(f"expected true or false, got {_tname(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise where.error(f"expected an integer, got {_tname(value)}")
        if value < 0:
            raise where.error(f"must not be negative, got {value}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise where.error(f"expected a number, got {_tname(value)}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise where.error(f"expected a string, got {_tname(value)}")
        return value
    return value


def _tname(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _suggest(word: str, names: set[str]) -> Optional[str]:
    import difflib

    match = difflib.get_close_matches(word, sorted(names), n=1)
    return match[0] if match else None


def _check_semantics(cfg: Config, where: Where) -> None:
    """Checks beyond types (hotkeys parse, rewrite actions make sense)."""
    from .config_remote import validate_sections
    from .config_see import validate_see
    from .rewrite_actions import validate_rewrite_config

    _check_hotkeys(cfg, where)
    checks: tuple[Callable[[], None], ...] = (
        lambda: validate_rewrite_config(cfg.rewrite),
        lambda: validate_sections(cfg.stt, cfg.speak, cfg.serve),
        lambda: validate_see(cfg.see),
    )
    for check in checks:
        try:
            check()
        except ConfigError as err:  # "rewrite.x.y: problem" -> add file and line
            dotted, _, problem = str(err).partition(": ")
            raise Where(where.name, where.text, tuple(dotted.split("."))).error(problem) from None


def _check_hotkeys(cfg: Config, where: Where) -> None:
    from .chords import parse_binding

    hk = where.child("hotkeys")
    bindings = {"dictate": cfg.hotkeys.dictate, "cancel": cfg.hotkeys.cancel}
    for key, value in bindings.items():
        _parse_or_raise(parse_binding, value, hk.child(key))
    for action, value in cfg.hotkeys.actions.items():
        _parse_or_raise(parse_binding, value, hk.child("actions").child(action))
    for mode, value in cfg.hotkeys.dictate_cleanup.items():
        if mode not in CLEANUP_MODES:
            choices = ", ".join(f'"{m}"' for m in CLEANUP_MODES)
            raise hk.child("dictate_cleanup").child(mode).error(f"not a dictate.cleanup mode (choose from {choices})")
        _parse_or_raise(parse_binding, value, hk.child("dictate_cleanup").child(mode))
    for name, rewrite_action in cfg.rewrite.actions.items():
        _parse_or_raise(
            parse_binding, rewrite_action.hotkey, where.child("rewrite").child("actions").child(name).child("hotkey")
        )
    for key in ("paste_keys", "copy_keys", "terminal_paste_keys"):
        _parse_or_raise(parse_binding, getattr(cfg.output, key), where.child("output").child(key))


def _parse_or_raise(parse: Callable[[str], object], value: str, where: Where) -> None:
    if not value:
        return
    try:
        parse(value)
    except ValueError as err:
        raise where.error(str(err)) from None


def to_toml(cfg: Config) -> str:
    """The effective config as TOML (for ``sayso config show``)."""
    import tomli_w

    data = dataclasses.asdict(cfg)
    data.pop("source", None)
    return tomli_w.dumps(data)
