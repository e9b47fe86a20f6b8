"""The rewrite engine interface: :class:`Engine` (an action and a text in, an :class:`EngineResult` out).

The backends, one module each: :mod:`.harper` (grammar, offline), :mod:`.llama` (a local GGUF),
:mod:`.openai` (an OpenAI-compatible server); :mod:`.choose` makes them lazily and picks one.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from ...core.rewrite_actions import Action

_LOGGER = logging.getLogger(__name__)

NO_MODEL_HINT = (
    "no rewrite model: run 'sayso models pull qwen2.5-1.5b', set rewrite.model to a .gguf file, "
    "or start a local OpenAI-compatible server (e.g. Ollama) at rewrite.base_url"
)


@dataclass
class EngineResult:
    """What an engine produced, before the guards."""

    text: str
    engine: str
    trusted: bool = False  # deterministic minimal edits: the guards only check it is not empty
    structured: bool = False  # the model was held to a JSON schema


class Engine:
    """Base class: ``rewrite`` runs in a worker thread and may be cancelled."""

    name = "base"

    def available(self) -> bool:
        return True

    def rewrite(self, action: Action, text: str, cancel: threading.Event, timeout: float) -> EngineResult:
        raise NotImplementedError

    def close(self) -> None:
        """Free resources (models, connections)."""
