"""Configuration types: one dataclass per section of the TOML file.

Each part of sayso takes only its own section (``SttConfig``, ``SpeakConfig``,
...); :class:`Config` is the whole file, which only the app and the command
line hold. :mod:`sayso.core.config` loads and validates it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .config_remote import RemoteSpeakConfig, RemoteSttConfig, ServeConfig
from .config_see import SeeConfig

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
    #: more dictation keys, each with its own dictate.cleanup: {"rules": "<ctrl>+<alt>+c"}
    dictate_cleanup: dict[str, str] = field(default_factory=dict)


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
    decoder_threads: int = 1


@dataclass
class DictateConfig:
    remove_fillers: bool = False
    fillers: list[str] = field(default_factory=lambda: ["um", "uh", "erm", "er", "hmm"])
    voice_commands: bool = True
    live: bool = False
    streaming: bool = True
    work_ahead: Literal["pauses", "chunks"] = "pauses"
    instant: bool = True
    cleanup: Literal["off", "rules", "model"] = "off"


@dataclass
class OutputConfig:
    method: Literal["auto", "type", "paste", "xdotool", "wtype", "ydotool", "portal"] = "auto"
    paste_keys: str = "<ctrl>+v"
    copy_keys: str = "<ctrl>+c"
    terminal_paste_keys: str = "<shift>+<insert>"
    terminal_classes: list[str] = field(
        default_factory=lambda: [
            "xterm",
            "urxvt",
            "gnome-terminal",
            "konsole",
            "alacritty",
            "kitty",
            "foot",
            "terminator",
            "tilix",
            "st",
        ]
    )
    restore_delay_ms: int = 300
    modifier_timeout_s: float = 300.0
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
    similarity: list[float] = field(default_factory=list)  # [whole text, each sentence]; [] = the built-in


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
    meaning_check: bool = True  # refuse model rewrites that drop facts or change the meaning
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
    see: SeeConfig = field(default_factory=SeeConfig)
    source: str = field(default="<defaults>", compare=False)
