"""HTTP for the OpenAI-compatible engines: the standard library only.

``http.client`` directly (no proxies, no redirects followed: the audio goes
to the configured host or nowhere), with a deadline on every read, so a
stalled server costs at most the configured timeout.  The API key is read
from a file or from an environment variable *named* in the config and only
ever put in the ``Authorization`` header: no message or log line holds it.
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import os
import socket
import ssl
import stat
import time
import uuid
from pathlib import Path
from typing import Iterator, Mapping, Optional

from ..core.endpoints import HTTP_SCHEMES, check_endpoint
from ..core.errors import RemoteError, RemoteLost, RemoteProtocolError, RemoteTimeout, RemoteUnavailable

_LOGGER = logging.getLogger(__name__)
_WARNED: set = set()


def load_api_key(
    api_key_file: str = "", api_key_env: str = "", section: str = "stt", env: Optional[Mapping[str, str]] = None
) -> str:
    """The key from ``api_key_file`` (its first line) or the variable named by ``api_key_env``; "" if neither."""
    if api_key_file:
        path = Path(api_key_file).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
            mode = path.stat().st_mode
        except (OSError, UnicodeDecodeError) as err:
            raise RemoteError(
                f"{section}.api_key_file: cannot read {path}: {getattr(err, 'strerror', None) or err}"
            ) from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO) and str(path) not in _WARNED:
            _WARNED.add(str(path))
            _LOGGER.warning("%s.api_key_file %s can be read by other users: chmod 600 it", section, path)
        key = text.strip().splitlines()[0].strip() if text.strip() else ""
        if not key:
            raise RemoteError(f"{section}.api_key_file: {path} is empty")
        return key
    if api_key_env:
        value = (os.environ if env is None else env).get(api_key_env, "").strip()
        if not value:
            raise RemoteError(f"{section}.api_key_env: the environment variable {api_key_env} is not set")
        return value
    return ""


def multipart(fields: Mapping[str, str], file_field: str, filename: str, content_type: str, data: bytes) -> tuple:
    """(body, content type) of a multipart/form-data request."""
    boundary = f"sayso-{uuid.uuid4().hex}"
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(str(value).encode("utf-8") + b"\r\n")
    out.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
    )
    out.write(data + b"\r\n" + f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


class HttpClient:
    """Requests to one OpenAI-compatible ``base_url``."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str = "",
        timeout_s: float = 15.0,
        allow_remote: bool = False,
        key: str = "stt.base_url",
        what: str = "OpenAI-compatible speech server",
    ) -> None:
        self.endpoint = check_endpoint(base_url, allow_remote=allow_remote, key=key, schemes=HTTP_SCHEMES)
        self._api_key = api_key
        self.timeout_s = timeout_s
        self.what = what
        if not self.endpoint.local and not self.endpoint.encrypted and key not in _WARNED:
            _WARNED.add(key)
            _LOGGER.warning("%s is plain http to another machine: audio and text travel unencrypted", key)

    @property
    def where(self) -> str:
        return f"the {self.what} at {self.endpoint.display}"

    def __repr__(self) -> str:  # never the key
        return f"HttpClient({self.endpoint.display!r})"

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        ep = self.endpoint
        if ep.scheme == "https":
            return http.client.HTTPSConnection(ep.host, ep.port, timeout=timeout, context=ssl.create_default_context())
        return http.client.HTTPConnection(ep.host, ep.port, timeout=timeout)

    def open(
        self,
        method: str,
        path: str,
        body: Optional[bytes] = None,
        content_type: str = "",
        accept: str = "application/json",
    ) -> Response:
        """Send a request; the response once its status line arrived (RemoteError otherwise)."""
        headers = {"Accept": accept, "User-Agent": "sayso"}
        if content_type:
            headers["Content-Type"] = content_type
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        conn = self._connection(self.timeout_s)
        try:
            conn.request(method, self.endpoint.path + path, body=body, headers=headers)
            resp = conn.getresponse()
        except BaseException as err:
            conn.close()
            raise self._error(err) from None
        response = Response(self, conn, resp)
        if resp.status >= 300:
            response.fail()
        return response

    def _error(self, err: BaseException) -> BaseException:
        if isinstance(err, ConnectionRefusedError):
            return RemoteUnavailable(f"cannot reach {self.where}: connection refused (is the server running?)")
        if isinstance(err, socket.gaierror):
            return RemoteUnavailable(f"cannot reach {self.where}: unknown host")
        if isinstance(err, (socket.timeout, TimeoutError)):
            return RemoteTimeout(f"{self.where} did not answer within {self.timeout_s:g} s")
        if isinstance(err, ssl.SSLError):
            return RemoteUnavailable(f"cannot reach {self.where}: TLS failed ({getattr(err, 'reason', None) or err})")
        if isinstance(err, (ConnectionError, http.client.RemoteDisconnected, http.client.IncompleteRead)):
            return RemoteLost(f"lost the connection to {self.where}: {type(err).__name__}")
        if isinstance(err, OSError):
            return RemoteUnavailable(f"cannot reach {self.where}: {err.strerror or err}")
        if isinstance(err, http.client.HTTPException):
            return RemoteProtocolError(f"{self.where} sent something that is not HTTP ({type(err).__name__})")
        return err


class Response:
    """A response being read, each read bounded by the client's timeout."""

    def __init__(self, client: HttpClient, conn: http.client.HTTPConnection, resp: http.client.HTTPResponse) -> None:
        self.client, self.conn, self.resp = client, conn, resp

    @property
    def content_type(self) -> str:
        return (self.resp.getheader("Content-Type") or "").split(";", 1)[0].strip().lower()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    def _read1(self, timeout: float) -> bytes:
        if self.conn.sock is not None:
            self.conn.sock.settimeout(max(0.01, timeout))
        try:
            return self.resp.read1(65536)
        except BaseException as err:
            self.close()
            raise self.client._error(err) from None

    def chunks(self) -> Iterator[bytes]:
        """The body as it arrives; each piece within the timeout of the one before."""
        while True:
            data = self._read1(self.client.timeout_s)
            if not data:
                return
            yield data

    def read_all(self, deadline: float, limit: int = 64 << 20) -> bytes:
        """The whole body by *deadline* (time.monotonic)."""
        out = bytearray()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.close()
                raise RemoteTimeout(f"{self.client.where} did not answer within {self.client.timeout_s:g} s")
            data = self._read1(left)
            if not data:
                return bytes(out)
            out += data
            if len(out) > limit:
                self.close()
                raise RemoteProtocolError(f"{self.client.where} sent more than {limit >> 20} MiB")

    def lines(self) -> Iterator[str]:
        """The body's lines (server-sent events), as they arrive."""
        pending = b""
        for data in self.chunks():
            pending += data
            *complete, pending = pending.split(b"\n")
            for line in complete:
                yield line.rstrip(b"\r").decode("utf-8", "replace")
        if pending:
            yield pending.decode("utf-8", "replace")

    def fail(self) -> None:
        """Raise the error a >= 300 status means (the server's message, one line)."""
        status = self.resp.status
        try:
            raw = self.read_all(time.monotonic() + min(5.0, self.client.timeout_s), limit=1 << 16)
        except RemoteError:
            raw = b""
        self.close()
        if 300 <= status < 400:
            raise RemoteProtocolError(
                f"{self.client.where} redirected the request (HTTP {status}); sayso does not follow redirects"
            )
        message = error_message(raw) or self.resp.reason or "error"
        hint = " (check the API key)" if status in (401, 403) else ""
        raise RemoteProtocolError(f"{self.client.where} returned HTTP {status}: {message}{hint}")


def error_message(raw: bytes) -> str:
    """The one-line message of an OpenAI-style error body."""
    try:
        payload = json.loads(raw or b"{}")
    except ValueError:
        payload = raw.decode("utf-8", "replace")
    msg = payload.get("error", payload.get("detail")) if isinstance(payload, dict) else payload
    if isinstance(msg, dict):
        msg = msg.get("message")
    if isinstance(msg, list):  # FastAPI validation errors
        msg = "; ".join(str(m.get("msg", m)) if isinstance(m, dict) else str(m) for m in msg)
    text = str(msg or "").strip()
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= 160 else line[:159] + "…"


def sse_data(lines: Iterator[str]) -> Iterator[str]:
    """The ``data:`` payloads of server-sent events, until ``[DONE]``."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        if data:
            yield data
