"""The ``openai`` engine: an OpenAI-compatible chat endpoint on this machine.

Works with Ollama, llama.cpp's server, llama-cpp-python's server and LM
Studio (``POST {base_url}/chat/completions``).  The text never leaves the
machine unless the user sets ``rewrite.allow_remote = true``: only loopback
hosts are accepted otherwise, proxies are not used for them and redirects
are never followed.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from typing import Optional
from urllib.parse import urlparse

from ...core.config_types import RewriteConfig
from ...core.errors import EngineError
from ...core.rewrite_actions import Action, build_prompt
from .base import Engine, EngineResult
from .llama import max_tokens_for

_LOGGER = logging.getLogger(__name__)
_PROBE_TTL = 10.0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        return None  # a redirect becomes an HTTPError: the text goes nowhere else


def is_loopback_host(host: str) -> bool:
    host = (host or "").strip("[]").lower()
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class OpenAIEngine(Engine):
    name = "openai"

    def __init__(self, base_url: str, model: str = "", api_key: str = "", *, allow_remote: bool = False,
                 temperature: float = 0.2, probe_timeout: float = 1.0) -> None:  # fmt: skip
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.allow_remote = allow_remote
        self.temperature = temperature
        self.probe_timeout = probe_timeout
        self._probe: Optional[tuple] = None  # (monotonic time, answered)
        self._models: list = []
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, cfg: RewriteConfig) -> OpenAIEngine:
        return cls(cfg.base_url, cfg.api_model, cfg.api_key, allow_remote=cfg.allow_remote, temperature=cfg.temperature)

    # --- safety ---------------------------------------------------------------
    def check_url(self) -> bool:
        """True for a loopback endpoint; EngineError for a remote one not allowed."""
        url = urlparse(self.base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise EngineError(f"rewrite.base_url is not an http(s) URL: {self.base_url}")
        local = is_loopback_host(url.hostname)
        if not local and not self.allow_remote:
            raise EngineError(
                f"rewrite.base_url {url.hostname} is not on this machine; set rewrite.allow_remote = true to send text there"  # noqa: E501  (one message, kept greppable)
            )
        return local

    def _opener(self) -> urllib.request.OpenerDirector:
        handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
        if self.check_url():
            handlers.append(urllib.request.ProxyHandler({}))  # never send local traffic through a proxy
        return urllib.request.build_opener(*handlers)

    # --- availability ---------------------------------------------------------
    def available(self) -> bool:
        """Does the endpoint answer (cached for a few seconds)?"""
        self.check_url()
        with self._lock:
            if self._probe and time.monotonic() - self._probe[0] < _PROBE_TTL:
                return self._probe[1]
            try:
                self._models = self._list_models(self.probe_timeout)
                ok = True
            except EngineError as err:
                _LOGGER.debug("rewrite endpoint not available: %s", err)
                ok = False
            self._probe = (time.monotonic(), ok)
            return ok

    def _list_models(self, timeout: float) -> list:
        data = self._request("GET", "/models", None, timeout)
        items = data.get("data") if isinstance(data, dict) else None
        return [m.get("id") for m in items or [] if isinstance(m, dict) and m.get("id")]

    def _model_name(self, timeout: float) -> str:
        if self.model:
            return self.model
        if not self._models:
            self._models = self._list_models(timeout)
        if not self._models:
            raise EngineError("set rewrite.api_model: the endpoint lists no models")
        return self._models[0]

    # --- rewriting --------------------------------------------------------------
    def rewrite(self, action: Action, text: str, cancel: threading.Event, timeout: float) -> EngineResult:
        prompt = build_prompt(action, text)
        body = {
            "model": self._model_name(timeout),
            "messages": [{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user}],
            "temperature": self.temperature,
            "max_tokens": max_tokens_for(text, action),
            "stream": False,
        }
        data = self._request("POST", "/chat/completions", body, timeout)
        try:
            content = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise EngineError("the rewrite endpoint returned something that is not a chat completion") from None
        if not isinstance(content, str):
            raise EngineError("the rewrite endpoint returned no text")
        return EngineResult(content, self.name)

    def _request(self, method: str, path: str, body: Optional[dict], timeout: float):
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            with self._opener().open(req, timeout=timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as err:
            raise EngineError(f"the rewrite endpoint returned HTTP {err.code}: {_error_message(err)}") from None
        except urllib.error.URLError as err:
            raise EngineError(f"cannot reach the rewrite endpoint at {self.base_url}: {_reason(err.reason)}") from None
        except TimeoutError:
            raise EngineError(f"the rewrite endpoint did not answer within {timeout:.0f} s") from None
        except (ConnectionError, OSError) as err:
            raise EngineError(f"the connection to the rewrite endpoint failed: {_reason(err)}") from None
        try:
            return json.loads(raw)
        except ValueError:
            raise EngineError("the rewrite endpoint returned something that is not JSON") from None


def _error_message(err: urllib.error.HTTPError) -> str:
    try:
        payload = json.loads(err.read() or b"{}")
    except (ValueError, OSError):
        payload = {}
    msg = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(msg, dict):
        msg = msg.get("message")
    text = str(msg or err.reason or "error").strip()
    line = text.splitlines()[0] if text else "error"
    return line if len(line) <= 120 else line[:119] + "…"


def _reason(reason) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return "timed out"
    text = getattr(reason, "strerror", None) or str(reason)
    return text.strip().splitlines()[0] if text.strip() else type(reason).__name__
