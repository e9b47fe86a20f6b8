"""The ``llama`` engine: a GGUF model embedded through llama-cpp-python.

The model is loaded on first use and unloaded ``keep_warm_s`` seconds after
the last one.  Generation is streamed so that cancel and the per-action
timeout stop it between tokens.  With ``rewrite.structured`` the model is
held to a JSON schema (``{"text": ...}``), which keeps small models from
chatting before or after the text.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Optional

from ...core.config_types import RewriteConfig
from ...core.errors import CancelledError, EngineError, ModelError
from ...core.rewrite_actions import Action, build_prompt
from ..models import describe_missing, resolve_model
from .base import NO_MODEL_HINT, Engine, EngineResult

_LOGGER = logging.getLogger(__name__)

JSON_SCHEMA = {
    "type": "object",
    "properties": {"text": {"type": "string"}},
    "required": ["text"],
}
STOP = ["</text>", "<text>"]


def max_tokens_for(text: str, action: Action) -> int:
    """A generous cap on the answer: ~3 characters a token, times the action's max ratio."""
    if action.explains:
        return 320
    ratio = min(action.ratio[1], 4.0)
    return int(min(8192, len(text) / 3 * ratio * 1.3 + 48))


class LlamaEngine(Engine):
    name = "llama"

    def __init__(
        self,
        model: str = "",
        *,
        n_ctx: int = 4096,
        n_threads: int = 0,
        keep_warm_s: float = 600,
        temperature: float = 0.2,
        structured: bool = True,
    ) -> None:
        self.model = model
        self.n_ctx = n_ctx
        self.n_threads = n_threads or None
        self.keep_warm_s = keep_warm_s
        self.temperature = temperature
        self.structured = structured
        self._llm = None
        self._path: Optional[Path] = None
        self._lock = threading.Lock()
        self._timer: Optional[threading.Timer] = None
        self._last_use = 0.0

    @classmethod
    def from_config(cls, cfg: RewriteConfig) -> LlamaEngine:
        return cls(
            cfg.model,
            n_ctx=cfg.n_ctx,
            n_threads=cfg.n_threads,
            keep_warm_s=cfg.keep_warm_s,
            temperature=cfg.temperature,
            structured=cfg.structured,
        )

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    def available(self) -> bool:
        return resolve_model(self.model) is not None

    def rewrite(self, action: Action, text: str, cancel: threading.Event, timeout: float) -> EngineResult:
        deadline = time.monotonic() + timeout
        if not self._lock.acquire(timeout=max(0.0, timeout)):
            raise EngineError(f"the embedded model is busy; no answer within {timeout:.0f} s")
        try:
            llm = self._ensure_loaded()
            structured = self.structured and not action.explains
            raw = self._generate(llm, action, text, structured, cancel, deadline)
        finally:
            self._last_use = time.monotonic()
            self._lock.release()
            self._schedule_unload()
        out = parse_structured(raw) if structured else raw
        return EngineResult(out, self.name, structured=structured)

    def _generate(
        self, llm, action: Action, text: str, structured: bool, cancel: threading.Event, deadline: float
    ) -> str:
        prompt = build_prompt(action, text, structured=structured)
        kwargs = {"response_format": {"type": "json_object", "schema": JSON_SCHEMA}} if structured else {"stop": STOP}
        stream = llm.create_chat_completion(
            messages=[{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user}],
            temperature=self.temperature,
            max_tokens=max_tokens_for(text, action),
            stream=True,
            **kwargs,
        )
        parts = []
        try:
            for chunk in stream:
                if cancel.is_set():
                    raise CancelledError("rewrite cancelled")
                if time.monotonic() > deadline:
                    raise EngineError("the embedded model did not finish in time")
                delta = chunk["choices"][0].get("delta") or {}
                parts.append(delta.get("content") or "")
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()
        return "".join(parts)

    # --- loading and keep-warm ---------------------------------------------
    def _ensure_loaded(self):
        if self._llm is not None:
            return self._llm
        path = resolve_model(self.model)
        if path is None:
            raise ModelError(NO_MODEL_HINT if not self.model else describe_missing(self.model))
        check_gguf(path)
        try:
            from llama_cpp import Llama
        except ImportError:
            raise EngineError("the llama engine needs the PyPI package llama-cpp-python") from None
        started = time.monotonic()
        try:
            self._llm = Llama(model_path=str(path), n_ctx=self.n_ctx, n_threads=self.n_threads, verbose=False)
        except (ValueError, RuntimeError, OSError) as err:
            raise ModelError(f"cannot load the model {path.name}: {_one_line(err)}") from None
        self._path = path
        _LOGGER.info("Loaded rewrite model %s in %.1f s", path.name, time.monotonic() - started)
        return self._llm

    def _schedule_unload(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(max(0.0, self.keep_warm_s), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        with self._lock:
            if time.monotonic() - self._last_use >= self.keep_warm_s - 0.05:
                self._unload()

    def _unload(self) -> None:
        llm, self._llm = self._llm, None
        if llm is not None:
            close = getattr(llm, "close", None)
            if close:
                close()
            _LOGGER.info("Unloaded rewrite model %s", self._path.name if self._path else "?")

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._unload()


def check_gguf(path: Path) -> None:
    """A readable file that starts with the GGUF magic, else ModelError."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as err:
        raise ModelError(f"cannot read the model {path}: {err.strerror or err}") from None
    if magic != b"GGUF":
        raise ModelError(f"{path.name} is not a GGUF model (corrupt or incomplete download?)")


def parse_structured(raw: str) -> str:
    """The ``text`` of a ``{"text": ...}`` answer; EngineError when malformed."""
    try:
        value = json.loads(raw)
    except ValueError:
        raise EngineError("the model's answer was cut off or is not valid JSON") from None
    if not isinstance(value, dict) or not isinstance(value.get("text"), str):
        raise EngineError("the model's JSON answer has no text")
    return value["text"]


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
