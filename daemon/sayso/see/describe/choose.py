"""Which describe engine: ``see.describe_engine``, or ``auto`` (the server if it answers, else the local model)."""

from __future__ import annotations

from ...core.config_see import SeeConfig
from ...core.errors import EngineError


def choose_describer(configured: str, server_answers: bool, local_files: bool) -> str:
    """A pure choice: ``openai`` or ``llama``; EngineError (one line) when ``auto`` finds neither."""
    if configured != "auto":
        return configured
    if server_answers:
        return "openai"
    if local_files:
        return "llama"
    raise EngineError(
        "no way to describe pictures: start a vision server (see.base_url) or set see.model and see.projector"
    )


def make_describer(cfg: SeeConfig):
    from .llama_vision import LlamaVision
    from .openai_vision import OpenAIVision

    if cfg.describe_engine == "llama":
        return LlamaVision(cfg)
    server = OpenAIVision(cfg)
    if cfg.describe_engine == "openai":
        return server
    local = LlamaVision(cfg)
    chosen = choose_describer("auto", server.available(), local.available())
    return server if chosen == "openai" else local
