"""Config sections of the remote engines and ``sayso serve``, and the choice
of a backend from them.

Plain dataclasses with defaults, in the style of :mod:`sayso.core.config`, to be
merged into sayso's ``[stt]``, ``[speak]`` and a new ``[serve]`` section
(the key names below are the TOML keys).  :func:`choose_stt` and
:func:`choose_tts` are pure: they take the config and the set of importable
modules (:func:`installed_modules`) and return the backend's name.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any, Collection, Iterable, Literal

from .errors import ConfigError

#: the module each backend needs (the OpenAI engines need only the standard library)
BACKEND_MODULES = {"local-stt": "faster_whisper", "local-tts": "piper", "wyoming": "wyoming"}


@dataclass
class RemoteSttConfig:
    """``[stt]`` keys for the engine choice (beside model, language, vocabulary...)."""

    engine: Literal["local", "wyoming", "openai"] = "local"
    uri: str = "tcp://127.0.0.1:10300"  # wyoming: tcp://HOST:PORT or unix://PATH
    base_url: str = "http://127.0.0.1:8000/v1"  # openai: the API root, http:// or https://
    remote_model: str = ""  # wyoming: the model name to ask for ("" = the server's default); openai: "model"
    api_key_file: str = ""  # openai: a file holding the key (first line)
    api_key_env: str = ""  # openai: or the NAME of an environment variable holding it
    timeout_s: float = 15.0  # the longest wait for the server: to connect, and for the text after the release
    fallback: Literal["local", "none"] = "local"  # when the server fails: the local engine, or keep it in history
    allow_remote: bool = False  # addresses off this machine (the audio leaves it)
    stream: bool = False  # openai: ask for the transcript as server-sent events (stream=true)


@dataclass
class RemoteSpeakConfig:
    """``[speak]`` keys for the engine choice.

    The fallback is ``engine_fallback``, not ``fallback``: ``speak.fallback``
    already means what to read when nothing is selected."""

    engine: Literal["local", "wyoming", "openai"] = "local"
    uri: str = "tcp://127.0.0.1:10200"
    base_url: str = "http://127.0.0.1:8000/v1"
    remote_voice: str = ""  # the server's voice name ("" = its default; openai needs one, "alloy" if empty)
    remote_model: str = ""  # openai: "model" ("tts-1" if empty)
    api_key_file: str = ""
    api_key_env: str = ""
    timeout_s: float = 10.0  # the longest wait for the next piece of audio
    engine_fallback: Literal["local", "none"] = "local"
    allow_remote: bool = False
    response_format: Literal["wav", "pcm"] = "wav"  # openai: pcm is 24 kHz 16-bit mono, as OpenAI's
    pcm_rate: int = 24000  # openai: the sample rate of "pcm" answers


@dataclass
class ServeLimits:
    max_audio_s: float = 120.0  # longer recordings are refused (a Wyoming error event, HTTP 413)
    max_text_chars: int = 5000  # longer texts to speak are refused
    max_event_bytes: int = 1_048_576  # one Wyoming event's data + payload
    max_upload_bytes: int = 26_214_400  # one HTTP request body (25 MiB, as OpenAI's)
    max_clients: int = 8  # connections at once (Wyoming and HTTP each)
    idle_timeout_s: float = 60.0  # a connection that sends nothing this long is closed


@dataclass
class ServeConfig:
    """``[serve]``: this machine's engines for others."""

    uri: str = "tcp://127.0.0.1:10300"  # the Wyoming server (tcp:// or unix://)
    http: str = ""  # the OpenAI-compatible endpoints, e.g. "http://127.0.0.1:10380" ("" = off)
    allow_remote: bool = False  # listen on addresses other machines reach (0.0.0.0, a LAN address)
    api_key_file: str = ""  # http: require "Authorization: Bearer <this file's first line>"
    voice: str = ""  # the voice profile to offer ("" = speak.voice)
    stt: bool = True  # offer speech to text
    tts: bool = True  # offer text to speech
    limits: ServeLimits = field(default_factory=ServeLimits)


def installed_modules(names: Iterable[str] = tuple(BACKEND_MODULES.values())) -> frozenset[str]:
    """Which of *names* can be imported (without importing them)."""
    found = set()
    for name in names:
        try:
            if importlib.util.find_spec(name) is not None:
                found.add(name)
        except (ImportError, ValueError):
            continue
    return frozenset(found)


def _choose(engine: str, fallback: str, installed: Collection[str], section: str, local_module: str) -> str:
    if engine == "openai":
        return "openai"
    if engine == "wyoming":
        if BACKEND_MODULES["wyoming"] in installed:
            return "wyoming"
        if fallback == "local" and local_module in installed:
            return "local"
        raise ConfigError(f'{section}.engine = "wyoming" needs the PyPI package wyoming (pip install wyoming)')
    if engine != "local":
        raise ConfigError(f"{section}.engine: must be one of 'local', 'wyoming', 'openai', got {engine!r}")
    if local_module not in installed:
        package = "faster-whisper" if local_module == "faster_whisper" else "piper-tts"
        raise ConfigError(f'{section}.engine = "local" needs the PyPI package {package}')
    return "local"


def choose_stt(cfg: RemoteSttConfig, installed: Collection[str]) -> str:
    """ "local", "wyoming" or "openai" for *cfg* given the importable modules.

    A Wyoming engine whose package is missing falls back to the local one
    when ``fallback = "local"`` (the caller should say so once); otherwise
    a ConfigError says what to install."""
    return _choose(cfg.engine, cfg.fallback, installed, "stt", BACKEND_MODULES["local-stt"])


def choose_tts(cfg: RemoteSpeakConfig, installed: Collection[str]) -> str:
    """The same for read-aloud."""
    return _choose(cfg.engine, cfg.engine_fallback, installed, "speak", BACKEND_MODULES["local-tts"])


def validate(cfg: object, section: str) -> None:
    """Checks beyond types, as ``key: problem`` ConfigErrors (the loader adds file:line)."""
    timeout = getattr(cfg, "timeout_s", None)
    if timeout is not None and not 0 < timeout <= 600:
        raise ConfigError(f"{section}.timeout_s: must be between 0 and 600 seconds, got {timeout}")
    if getattr(cfg, "api_key_file", "") and getattr(cfg, "api_key_env", ""):
        raise ConfigError(f"{section}.api_key_file: set api_key_file or api_key_env, not both")
    env = getattr(cfg, "api_key_env", "")
    if env and not env.replace("_", "a").isalnum():
        raise ConfigError(f"{section}.api_key_env: the NAME of an environment variable, got something else")
    limits = getattr(cfg, "limits", None)
    if limits is not None and (limits.max_audio_s <= 0 or limits.max_text_chars <= 0 or limits.max_event_bytes < 4096):
        raise ConfigError(f"{section}.limits: max_audio_s and max_text_chars must be positive, max_event_bytes >= 4096")


def check_address(cfg: Any, section: str) -> None:
    """The configured engine's address parses and may be used (loopback unless
    ``allow_remote``): a ConfigError naming the key otherwise.  Pure: no DNS."""
    from .endpoints import HTTP_SCHEMES, WYOMING_SCHEMES, check_endpoint
    from .errors import RemoteNotAllowed

    engine = getattr(cfg, "engine", "local")
    if engine == "local":
        return
    key, schemes = ("uri", WYOMING_SCHEMES) if engine == "wyoming" else ("base_url", HTTP_SCHEMES)
    try:
        check_endpoint(getattr(cfg, key), allow_remote=cfg.allow_remote, key=f"{section}.{key}", schemes=schemes)
    except RemoteNotAllowed as err:
        raise ConfigError(str(err)) from None


def validate_sections(stt: RemoteSttConfig, speak: RemoteSpeakConfig, serve: ServeConfig) -> None:
    """All checks of ``[stt]``, ``[speak]`` and ``[serve]`` beyond types."""
    for cfg, section in ((stt, "stt"), (speak, "speak"), (serve, "serve")):
        validate(cfg, section)
    check_address(stt, "stt")
    check_address(speak, "speak")
