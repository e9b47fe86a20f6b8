"""The ``[see]`` section: reading text in screen images and describing pictures (sayso.see)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .errors import ConfigError

_LANGUAGES = re.compile(r"^[a-z][a-z_]*(\+[a-z][a-z_]*)*$")


@dataclass
class SeeConfig:
    ocr_engine: Literal["auto", "tesseract"] = "auto"
    language: str = "auto"
    read_to: Literal["speak", "clipboard", "both"] = "speak"
    describe_engine: Literal["auto", "openai", "llama"] = "auto"
    describe_to: Literal["speak", "clipboard", "both"] = "both"
    base_url: str = "http://127.0.0.1:11434/v1"
    api_model: str = ""
    api_key: str = ""
    allow_remote: bool = False
    model: str = ""
    projector: str = ""
    chat_format: Literal["llava-1-5", "llava-1-6", "moondream", "nanollava", "llama-3-vision-alpha", "minicpm-v-2.6",
                         "qwen2.5-vl", "mtmd"] = "llava-1-5"  # fmt: skip
    max_side: int = 1024
    max_tokens: int = 300
    timeout_s: float = 60.0
    prompt: str = ""
    details_s: float = 30.0


def validate_see(cfg: SeeConfig) -> None:
    """Checks beyond types, as ``see.key: problem`` (the loader adds file:line)."""
    if cfg.language != "auto" and not _LANGUAGES.match(cfg.language):
        raise ConfigError(f"see.language: {cfg.language!r} is not auto or Tesseract language codes (eng, deu, eng+fra)")
    if not 64 <= cfg.max_side <= 4096:
        raise ConfigError(f"see.max_side: must be between 64 and 4096 pixels, got {cfg.max_side}")
    if not 16 <= cfg.max_tokens <= 4096:
        raise ConfigError(f"see.max_tokens: must be between 16 and 4096, got {cfg.max_tokens}")
    if not 0 <= cfg.details_s <= 600:
        raise ConfigError(f"see.details_s: must be between 0 and 600 seconds, got {cfg.details_s}")
    if cfg.timeout_s <= 0:
        raise ConfigError(f"see.timeout_s: must be more than 0, got {cfg.timeout_s}")
    if cfg.projector and not cfg.model:
        raise ConfigError("see.model: see.projector is set but see.model is not (a GGUF path)")
    path = "/" in cfg.model or cfg.model.endswith(".gguf")  # not a name from the vision catalog
    if path and not cfg.projector and cfg.describe_engine == "llama":
        raise ConfigError(
            "see.projector: the llama describe engine needs the projector (mmproj) of a see.model path"
            " (a name from `sayso models list` brings its own)"
        )
