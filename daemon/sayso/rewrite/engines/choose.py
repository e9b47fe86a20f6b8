"""Rewrite engines and the ``auto`` choice between them.

* ``harper``: Harper's English grammar checker (PyPI ``harper-py``), minimal
  edits in milliseconds, ``fix`` only (:mod:`.harper`).
* ``llama``: an embedded GGUF model through llama-cpp-python (:mod:`.llama`).
* ``openai``: an OpenAI-compatible chat endpoint on this machine (:mod:`.openai`).

``auto`` picks harper for English ``fix``; otherwise the endpoint if it
answers, else the embedded model if one is present, else (``explain``)
Harper's findings offline, else it says how to get a model. Each backend is imported only in the branch that makes it.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Optional, cast

from ...core.config_types import RewriteConfig
from ...core.errors import EngineError
from ...core.rewrite_actions import Action
from .base import NO_MODEL_HINT, Engine

if TYPE_CHECKING:  # pragma: no cover
    from .harper import HarperEngine

_LOGGER = logging.getLogger(__name__)


class EngineSet:
    """The engines of one config, created lazily, and the ``auto`` choice."""

    def __init__(self, cfg: RewriteConfig) -> None:
        self.cfg = cfg
        self._engines: dict = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Engine:
        with self._lock:
            if name not in self._engines:
                self._engines[name] = self._make(name)
            return self._engines[name]

    def _make(self, name: str) -> Engine:
        if name == "harper":  # the one the findings (explain offline, the dictation clean-up) use too
            from ..findings import shared_engine

            return shared_engine(self.cfg.dialect)
        if name == "llama":
            from .llama import LlamaEngine

            return LlamaEngine.from_config(self.cfg)
        if name == "openai":
            from .openai import OpenAIEngine

            return OpenAIEngine.from_config(self.cfg)
        raise EngineError(f"unknown rewrite engine '{name}' (harper, llama, openai or auto)")

    def choose(self, action: Action, text: str, override: Optional[str] = None) -> Engine:
        """The engine for *action*: --engine, then the action's, then rewrite.engine."""
        for choice in (override, action.engine, self.cfg.engine):
            if choice and choice != "auto":
                return self._explainer() if choice == "harper" and action.explains else self.get(choice)
        return self._auto(action, text)

    def _explainer(self) -> Engine:
        from ..findings import HarperExplainer

        return HarperExplainer(cast("HarperEngine", self.get("harper")))

    def _auto(self, action: Action, text: str) -> Engine:
        if action.name == "fix":
            harper = cast("HarperEngine", self.get("harper"))
            try:
                if harper.is_english(text):
                    return harper
            except EngineError as err:
                _LOGGER.info("harper unavailable: %s", err)
        openai = self.get("openai")
        if openai.available():
            return openai
        llama = self.get("llama")
        if llama.available():
            return llama
        if action.explains:  # no model: Harper's findings, each with its message and suggestion
            try:
                return self._explainer()
            except EngineError as err:
                _LOGGER.info("harper unavailable: %s", err)
        raise EngineError(NO_MODEL_HINT)

    def close(self) -> None:
        with self._lock:
            engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            engine.close()
