"""Which addresses a remote engine may use: loopback unless ``allow_remote``.

:func:`check_endpoint` is a pure function (no DNS, no connection): it parses
a Wyoming URI (``tcp://HOST:PORT``, ``unix://PATH``) or an OpenAI-compatible
``base_url`` (``http://`` or ``https://``) and decides from the text alone.
Loopback means ``localhost`` (and ``*.localhost``), 127.0.0.0/8, ``::1``
(also as an IPv4-mapped address) and Unix sockets.  Any other host, even a
name that happens to resolve to 127.0.0.1, is remote: audio, text and keys
would leave this machine, so it is refused with one line unless the config
says ``allow_remote = true``.  The same rule, :func:`check_listen`, keeps
``sayso serve`` on loopback unless it is told to listen for other machines.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlsplit

from .errors import ConfigError, RemoteNotAllowed

WYOMING_SCHEMES = ("tcp", "unix")
HTTP_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class Endpoint:
    """A checked address."""

    scheme: str  # tcp, unix, http, https
    host: str  # "" for unix
    port: Optional[int]
    path: str  # the socket path (unix) or the URL path (http)
    local: bool  # loopback or a Unix socket

    @property
    def encrypted(self) -> bool:
        return self.scheme == "https"

    @property
    def display(self) -> str:
        """The address for messages (never holds credentials: they are refused)."""
        if self.scheme == "unix":
            return f"unix://{self.path}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port else ""
        path = self.path if self.scheme in HTTP_SCHEMES else ""
        return f"{self.scheme}://{host}{port}{path}"


def is_loopback_host(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1 (also IPv4-mapped), from the text alone."""
    host = (host or "").strip().strip("[]").lower().rstrip(".")
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))


def parse_endpoint(address: str, key: str, schemes: tuple[str, ...]) -> Endpoint:
    """Parse *address*; ConfigError naming *key* if it is not one of *schemes*."""
    text = (address or "").strip()
    want = " or ".join(f"{s}://" for s in schemes)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as err:
        raise ConfigError(f"{key}: not a valid address {text!r} ({err})") from None
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        raise ConfigError(f"{key}: {text!r} is not a {want} address")
    if parts.username is not None or parts.password is not None:
        raise ConfigError(f"{key}: put no user name or password in the address; use the api_key_file setting")
    if scheme == "unix":
        path = (parts.netloc + parts.path) if parts.netloc else parts.path
        if not path:
            raise ConfigError(f"{key}: {text!r} names no socket path (unix:///run/user/1000/sayso.sock)")
        return Endpoint("unix", "", None, path, True)
    host = parts.hostname or ""
    if not host:
        raise ConfigError(f"{key}: {text!r} names no host")
    if scheme == "tcp" and port is None:
        raise ConfigError(f"{key}: {text!r} names no port (tcp://127.0.0.1:10300)")
    if scheme in HTTP_SCHEMES and port is None:
        port = 443 if scheme == "https" else 80
    path = parts.path.rstrip("/") if scheme in HTTP_SCHEMES else ""
    return Endpoint(scheme, host, port, path, is_loopback_host(host))


def check_endpoint(
    address: str, *, allow_remote: bool, key: str, schemes: tuple[str, ...] = WYOMING_SCHEMES
) -> Endpoint:
    """The parsed *address* if it may be used; RemoteNotAllowed for a remote
    host without *allow_remote*, ConfigError for a malformed address."""
    endpoint = parse_endpoint(address, key, schemes)
    if not endpoint.local and not allow_remote:
        section = key.split(".", 1)[0]
        raise RemoteNotAllowed(
            f"{key}: {endpoint.host} is not on this machine; set {section}.allow_remote = true to send it audio or text"
        )
    return endpoint


def check_listen(uri: str, *, allow_remote: bool, key: str = "serve.uri", flag: str = "--allow-remote") -> Endpoint:
    """Where ``sayso serve`` may listen: loopback or a Unix socket, unless
    *allow_remote* (any other address, 0.0.0.0 and :: included, lets other
    machines use this machine's engines, unauthenticated)."""
    endpoint = parse_endpoint(uri, key, WYOMING_SCHEMES + HTTP_SCHEMES)
    if endpoint.scheme == "https":
        raise ConfigError(f"{key}: sayso serve speaks plain http; put a TLS proxy in front of it for https")
    if not endpoint.local and not allow_remote:
        raise RemoteNotAllowed(
            f"{key}: {endpoint.host} would let other machines use this one's engines without authentication; "
            f"pass {flag} (serve.allow_remote = true) to listen there"
        )
    return endpoint
