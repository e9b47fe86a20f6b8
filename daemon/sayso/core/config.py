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
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Optional, Union

from .errors import ConfigError
from .config_remote import RemoteSpeakConfig, RemoteSttConfig, ServeConfig

_LOGGER = logging.getLogger(__name__)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


# --------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------


@dataclass
class GeneralConfig:
    session: Literal["auto", "x11", "wayland", "macos", "windows"] = "auto"
    history_size: int = 20


@dataclass
class HotkeysConfig:
    backend: Literal["auto", "portal", "pynput", "evdev", "external"] = "auto"
    dictate: str = "<ctrl>+<alt>+space"
    dictate_mode: Literal["hold", "toggle", "auto"] = "auto"
    tap_ms: int = 300
    cancel: str = "<esc>"
    evdev_device: str = ""
    actions: dict[str, str] = field(default_factory=dict)


@dataclass
class AudioConfig:
    input_device: str = ""
    output_device: str = ""
    preroll_ms: int = 300
    max_seconds: float = 120.0
    min_seconds: float = 0.3


@dataclass
class SttConfig(RemoteSttConfig):
    """The local model's settings; the engine choice (engine, uri, fallback...) is RemoteSttConfig's."""

    model: str = "bundled:tiny.en"
    device: Literal["auto", "cpu", "cuda"] = "cpu"
    compute_type: str = "int8"
    language: str = "en"
    beam_size: int = 5
    vocabulary: list[str] = field(default_factory=list)
    vad_filter: bool = False
    condition_on_previous_text: bool = True
    no_speech_threshold: float = 0.6
    logprob_threshold: float = -1.0
    cpu_threads: int = 0


@dataclass
class DictateConfig:
    remove_fillers: bool = False
    fillers: list[str] = field(default_factory=lambda: ["um", "uh", "erm", "er", "hmm"])
    voice_commands: bool = True
    live: bool = False
    streaming: bool = True
    instant: bool = True


@dataclass
class OutputConfig:
    method: Literal["auto", "type", "paste", "xdotool", "wtype", "ydotool", "portal"] = "auto"
    paste_keys: str = "<ctrl>+v"
    copy_keys: str = "<ctrl>+c"
    terminal_paste_keys: str = "<shift>+<insert>"
    terminal_classes: list[str] = field(
        default_factory=lambda: ["xterm", "urxvt", "gnome-terminal", "konsole", "alacritty", "kitty", "foot", "terminator", "tilix", "st"]
    )
    restore_delay_ms: int = 300
    modifier_timeout_s: float = 3.0
    type_delay_ms: int = 2


@dataclass
class SpeakConfig(RemoteSpeakConfig):
    """Read-aloud; the engine choice (engine, uri, engine_fallback...) is RemoteSpeakConfig's."""

    voice: str = "joe"
    rate: float = 1.0
    rate_step: float = 0.1
    fallback: Literal["clipboard", "none"] = "clipboard"
    max_chars: int = 100_000
    emoji: Literal["name", "skip"] = "skip"
    language_voices: dict[str, str] = field(default_factory=dict)
    selection_method: Literal["auto", "primary", "copy"] = "auto"
    first_chunk_chars: int = 120
    output_latency_ms: int = 100


@dataclass
class RewriteActionConfig:
    prompt: str = ""
    engine: str = ""
    hotkey: str = ""
    ratio: list[float] = field(default_factory=list)  # [] = the action's built-in [min, max]
    timeout_s: float = 0.0  # 0 = rewrite.timeout_s


@dataclass
class RewriteConfig:
    engine: Literal["auto", "harper", "llama", "openai"] = "auto"
    model: str = ""
    keep_warm_s: int = 600
    n_ctx: int = 4096
    n_threads: int = 0
    base_url: str = "http://127.0.0.1:11434/v1"
    api_model: str = ""
    api_key: str = ""
    allow_remote: bool = False
    timeout_s: float = 30.0
    max_chars: int = 20_000
    target_language: str = "English"
    replace_selection: bool = False
    undo_size: int = 10
    temperature: float = 0.2
    dialect: Literal["american", "british", "australian", "canadian", "indian"] = "american"
    structured: bool = True
    explain_via: Literal["notify", "speak", "both"] = "notify"
    actions: dict[str, RewriteActionConfig] = field(default_factory=dict)


@dataclass
class NotifyConfig:
    desktop: bool = True
    sounds: bool = True
    volume: float = 0.3
    tray: bool = False  # the StatusNotifierItem tray icon (docs/desktop.md)
    indicator: bool = False  # the X11/XWayland recording window that never takes the focus


@dataclass
class Config:
    general: GeneralConfig = field(default_factory=GeneralConfig)
    hotkeys: HotkeysConfig = field(default_factory=HotkeysConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    stt: SttConfig = field(default_factory=SttConfig)
    dictate: DictateConfig = field(default_factory=DictateConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    speak: SpeakConfig = field(default_factory=SpeakConfig)
    rewrite: RewriteConfig = field(default_factory=RewriteConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    serve: ServeConfig = field(default_factory=ServeConfig)
    source: str = field(default="<defaults>", compare=False)

    @staticmethod
    def load(path: Optional[Path] = None, env: Optional[typing.Mapping[str, str]] = None) -> "Config":
        """Load defaults, then the user's file (explicit path, $SAYSO_CONFIG, XDG)."""
        return load_config(path, env)


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------


def default_toml_text() -> str:
    return resources.files("sayso").joinpath("default.toml").read_text(encoding="utf-8")


def user_config_path(env: Optional[typing.Mapping[str, str]] = None) -> Path:
    env = os.environ if env is None else env
    if env.get("SAYSO_CONFIG"):
        return Path(env["SAYSO_CONFIG"]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "sayso" / "config.toml"


def load_config(path: Optional[Path] = None, env: Optional[typing.Mapping[str, str]] = None) -> Config:
    defaults = _parse_toml(default_toml_text(), "<default config>")
    explicit = path is not None or bool((os.environ if env is None else env).get("SAYSO_CONFIG"))
    path = Path(path) if path is not None else user_config_path(env)
    if not path.exists():
        if explicit:
            raise ConfigError(f"{path}: config file not found")
        cfg = from_dict(Config, defaults, _Where("<default config>", ""))
        return cfg
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read config: {getattr(err, 'strerror', None) or err}") from err
    user = _parse_toml(text, str(path))
    merged = _merge(defaults, user)
    cfg = from_dict(Config, merged, _Where(str(path), text))
    cfg.source = str(path)
    _check_semantics(cfg, _Where(str(path), text))
    return cfg


def parse_config_text(text: str, name: str = "<config>") -> Config:
    """Validate *text* laid over the defaults (used by tests and ``reload``)."""
    merged = _merge(_parse_toml(default_toml_text(), "<default config>"), _parse_toml(text, name))
    cfg = from_dict(Config, merged, _Where(name, text))
    _check_semantics(cfg, _Where(name, text))
    cfg.source = name
    return cfg


def _parse_toml(text: str, name: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        msg = str(err)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        where = f"{name}:{m.group(1)}" if m else name
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        raise ConfigError(f"{where}: invalid TOML: {msg}") from None


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@dataclass
class _Where:
    """Where a value came from, to point errors at file:line key."""

    name: str
    text: str
    keys: tuple = ()

    def child(self, key: str) -> "_Where":
        return _Where(self.name, self.text, self.keys + (key,))

    @property
    def dotted(self) -> str:
        return ".".join(self.keys)

    def line(self) -> Optional[int]:
        return find_key_line(self.text, self.keys) if self.text else None

    def error(self, problem: str) -> ConfigError:
        line = self.line()
        loc = f"{self.name}:{line}" if line else self.name
        return ConfigError(f"{loc}: {self.dotted}: {problem}")


def find_key_line(text: str, keys: tuple) -> Optional[int]:
    """Best-effort line number of dotted *keys* in TOML *text*."""
    if not keys:
        return None
    table: tuple = ()
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


def from_dict(cls: type, data: Any, where: _Where) -> Any:
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


def _without_retired(data: dict, where: _Where) -> dict:
    kept = dict(data)
    for key in data:
        child = where.child(key)
        if child.dotted in RETIRED:
            line = child.line()
            _LOGGER.warning("%s%s: %s: %s", where.name, f":{line}" if line else "", child.dotted, RETIRED[child.dotted])
            del kept[key]
    return kept


def _convert(tp: Any, value: Any, where: _Where) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, where)
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
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list", dict: "a table"}.get(
        type(value), type(value).__name__
    )


def _suggest(word: str, names: set) -> Optional[str]:
    import difflib

    match = difflib.get_close_matches(word, sorted(names), n=1)
    return match[0] if match else None


def _check_semantics(cfg: Config, where: _Where) -> None:
    """Checks beyond types (hotkeys parse, rewrite actions make sense)."""
    from .rewrite_actions import validate_rewrite_config

    from .config_remote import validate_sections

    _check_hotkeys(cfg, where)
    for check in (lambda: validate_rewrite_config(cfg.rewrite), lambda: validate_sections(cfg.stt, cfg.speak, cfg.serve)):
        try:
            check()
        except ConfigError as err:  # "rewrite.x.y: problem" -> add file and line
            dotted, _, problem = str(err).partition(": ")
            raise _Where(where.name, where.text, tuple(dotted.split("."))).error(problem) from None


def _check_hotkeys(cfg: Config, where: _Where) -> None:
    from .chords import parse_binding

    hk = where.child("hotkeys")
    bindings = {"dictate": cfg.hotkeys.dictate, "cancel": cfg.hotkeys.cancel}
    for key, value in bindings.items():
        _parse_or_raise(parse_binding, value, hk.child(key))
    for action, value in cfg.hotkeys.actions.items():
        _parse_or_raise(parse_binding, value, hk.child("actions").child(action))
    for name, action in cfg.rewrite.actions.items():
        _parse_or_raise(parse_binding, action.hotkey, where.child("rewrite").child("actions").child(name).child("hotkey"))
    for key in ("paste_keys", "copy_keys", "terminal_paste_keys"):
        _parse_or_raise(parse_binding, getattr(cfg.output, key), where.child("output").child(key))


def _parse_or_raise(parse, value: str, where: _Where) -> None:
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
