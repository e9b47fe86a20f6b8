"""The ``openai`` describe engine: chat completions with the image as a ``data:`` URL.

Ollama (``/v1``), llama.cpp's ``llama-server`` with a projector and
llama-cpp-python's server take this. The picture goes to loopback only unless
``see.allow_remote = true`` (:func:`sayso.core.endpoints.check_endpoint`), never
through a proxy and never to a redirect.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from ...core.config_see import SeeConfig
from ...core.errors import EngineError, RemoteError
from ...remote.openai_http import HttpClient
from .base import clean, data_url, messages, prompt_of, tokens_of

if TYPE_CHECKING:  # pragma: no cover
    from PIL.Image import Image

_PROBE_TTL = 10.0


class OpenAIVision:
    name = "openai"

    def __init__(self, cfg: SeeConfig) -> None:
        self.cfg = cfg
        self.http = HttpClient(
            cfg.base_url,
            api_key=cfg.api_key,
            timeout_s=cfg.timeout_s,
            allow_remote=cfg.allow_remote,
            key="see.base_url",
            what="OpenAI-compatible vision server",
        )
        self._models: list = []
        self._probe = (0.0, False)

    def available(self) -> bool:
        """Does the server answer ``/models`` (cached for a few seconds)?"""
        when, ok = self._probe
        if time.monotonic() - when < _PROBE_TTL:
            return ok
        try:
            self._models = self._list_models(2.0)
            ok = True
        except (RemoteError, EngineError):
            ok = False
        self._probe = (time.monotonic(), ok)
        return ok

    def _list_models(self, timeout: float) -> list:
        with self.http.open("GET", "/models") as resp:
            raw = resp.read_all(time.monotonic() + timeout, limit=1 << 20)
        data = _json(raw, self.http.where)
        items = data.get("data") if isinstance(data, dict) else None
        return [m.get("id") for m in items or [] if isinstance(m, dict) and m.get("id")]

    def _model(self) -> str:
        if self.cfg.api_model:
            return self.cfg.api_model
        if not self._models:
            self._models = self._list_models(self.cfg.timeout_s)
        if not self._models:
            raise EngineError("set see.api_model: the vision server lists no models")
        return str(self._models[0])

    def describe(self, image: Image, details: bool = False) -> str:
        body = {
            "model": self._model(),
            "messages": messages(prompt_of(self.cfg.prompt, details), data_url(image, self.cfg.max_side)),
            "max_tokens": tokens_of(self.cfg.max_tokens, details),
            "temperature": 0.2,
            "stream": False,
        }
        deadline = time.monotonic() + self.cfg.timeout_s
        payload = json.dumps(body).encode("utf-8")
        with self.http.open("POST", "/chat/completions", payload, "application/json") as resp:
            raw = resp.read_all(deadline, limit=4 << 20)
        data = _json(raw, self.http.where)
        try:
            content = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise EngineError(f"{self.http.where} returned something that is not a chat completion") from None
        text = clean(content) if isinstance(content, str) else ""
        if not text:
            raise EngineError(f"{self.http.where} returned an empty description")
        return text

    def close(self) -> None:
        pass


def _json(raw: bytes, where: str):
    try:
        return json.loads(raw)
    except ValueError:
        raise EngineError(f"{where} returned something that is not JSON") from None
