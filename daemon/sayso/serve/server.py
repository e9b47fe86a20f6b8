"""``sayso serve``: this machine's engines for other machines, over Wyoming
(and optionally OpenAI-compatible HTTP).

One Wyoming server offers speech to text (sayso's faster-whisper
Transcriber, ``stt.*`` settings) and text to speech (sayso's piper voice)
in one ``info``, on ``tcp://HOST:PORT`` or ``unix://PATH``.  It listens on
loopback unless ``--allow-remote`` (``serve.allow_remote = true``) is given:
binding 0.0.0.0, :: or a LAN address without it is refused, since Wyoming
has neither encryption nor authentication (docs/remote.md shows SSH and
WireGuard).  A Unix socket is made mode 0600.

:func:`main` is the command (``sayso serve``, or ``python -m
sayso.serve.server``); :class:`Server` runs the same inside a process.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
from dataclasses import replace
from functools import partial
from typing import Optional

from wyoming.server import AsyncServer, AsyncTcpServer, AsyncUnixServer

from ..core.config_remote import ServeConfig, ServeLimits, validate
from ..core.endpoints import Endpoint, check_listen
from ..core.errors import ExitStatus, SaysoError
from ..core.systemd import sd_notify  # the same Type=notify unit protocol as `sayso run`
from ..remote.aio import LoopThread
from ..remote.openai_http import load_api_key
from .engines import LocalEngines
from .http import OpenAIServer, start_http
from .wyoming import Clients, SaysoEventHandler

_LOGGER = logging.getLogger(__name__)


def check_addresses(cfg: ServeConfig) -> tuple:
    """(Wyoming endpoint, HTTP endpoint or None); refuses what would be reachable
    from other machines unless ``cfg.allow_remote``."""
    validate(cfg, "serve")
    wyoming = check_listen(cfg.uri, allow_remote=cfg.allow_remote, key="serve.uri")
    if wyoming.scheme not in ("tcp", "unix"):
        raise SaysoError(f"serve.uri: {cfg.uri!r} is not a tcp:// or unix:// address")
    http = check_listen(cfg.http, allow_remote=cfg.allow_remote, key="serve.http") if cfg.http else None
    if http is not None and http.scheme != "http":
        raise SaysoError(f"serve.http: {cfg.http!r} is not an http:// address")
    return wyoming, http


class Server:
    """The servers of *cfg* over *engines*, started on a LoopThread (tests, embedding)."""

    def __init__(self, cfg: ServeConfig, engines: LocalEngines) -> None:
        self.cfg, self.engines = cfg, engines
        self.wyoming_endpoint, self.http_endpoint = check_addresses(cfg)
        self._loop = LoopThread("sayso-serve")
        self._wyoming: Optional[AsyncServer] = None
        self._http: Optional[OpenAIServer] = None
        self.uri, self.http_url = cfg.uri, cfg.http

    def start(self) -> Server:
        try:
            self._loop.submit(self._start()).result(30)
        except OSError as err:
            self.stop()
            raise SaysoError(
                f"serve.uri: cannot listen on {self.wyoming_endpoint.display}: {err.strerror or err}"
            ) from None
        if self.http_endpoint is not None:
            key = load_api_key(self.cfg.api_key_file, "", "serve")
            try:
                self._http = start_http(
                    self.http_endpoint.host, self.http_endpoint.port or 80, self.engines, self.cfg.limits, key
                )
            except OSError as err:
                self.stop()
                raise SaysoError(
                    f"serve.http: cannot listen on {self.http_endpoint.display}: {err.strerror or err}"
                ) from None
            host = self.http_endpoint.host
            self.http_url = f"http://{f'[{host}]' if ':' in host else host}:{self._http.server_address[1]}"
        return self

    async def _start(self) -> None:
        ep = self.wyoming_endpoint
        server: AsyncServer = AsyncUnixServer(ep.path) if ep.scheme == "unix" else AsyncTcpServer(ep.host, ep.port)
        clients = Clients(self.cfg.limits.max_clients)
        await server.start(partial(SaysoEventHandler, self.engines, self.cfg.limits, clients))
        self._wyoming = server
        if ep.scheme == "unix":
            os.chmod(ep.path, 0o600)
        elif isinstance(server, AsyncTcpServer):
            self.uri = f"tcp://{_host(ep)}:{_bound_port(server, ep.port)}"

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._wyoming is not None:
            try:
                self._loop.submit(self._wyoming.stop()).result(10)
            except Exception:  # a handler that will not stop: the loop goes anyway
                _LOGGER.debug("Stopping the Wyoming server", exc_info=True)
            self._wyoming = None
        self._loop.close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def probe_listen(ep: Optional[Endpoint]) -> None:
    """Fail at once (not after loading the models) when a TCP address is taken."""
    if ep is None or ep.scheme == "unix":
        return
    family = socket.AF_INET6 if ":" in ep.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((ep.host, ep.port or 80))
        except OSError as err:
            raise SaysoError(f"cannot listen on {ep.display}: {err.strerror or err}") from None


def _host(ep: Endpoint) -> str:
    return f"[{ep.host}]" if ":" in ep.host else ep.host


def _bound_port(server: AsyncTcpServer, fallback: Optional[int]) -> int:
    """The port really bound (the URI may say 0: any free port)."""
    inner = getattr(server, "_server", None)
    sockets = getattr(inner, "sockets", None) or []
    return int(sockets[0].getsockname()[1]) if sockets else int(fallback or 0)


# --------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sayso serve",
        description="Offer this machine's speech engines over Wyoming "
        "(and OpenAI-compatible HTTP) to other programs and machines.",
    )
    d = ServeConfig()
    p.add_argument("--uri", help=f"Wyoming address: tcp://HOST:PORT or unix://PATH (default {d.uri})")
    p.add_argument("--http", help="also serve /v1/audio/transcriptions and /v1/audio/speech at http://HOST:PORT")
    p.add_argument(
        "--allow-remote",
        action="store_true",
        default=None,
        help="listen on addresses other machines reach (0.0.0.0, a LAN address): no encryption, no authentication",
    )
    p.add_argument("--api-key-file", help="HTTP side: require 'Authorization: Bearer <the file's first line>'")
    p.add_argument("--voice", help="the voice profile to offer (default: speak.voice)")
    p.add_argument("--model", help="the speech model (default: stt.model)")
    p.add_argument("--no-stt", action="store_true", help="offer text to speech only")
    p.add_argument("--no-tts", action="store_true", help="offer speech to text only")
    p.add_argument("--max-audio-s", type=float, help=f"longest audio accepted (default {ServeLimits.max_audio_s:g})")
    p.add_argument("--max-text-chars", type=int, help=f"longest text accepted (default {ServeLimits.max_text_chars})")
    p.add_argument("--max-event-bytes", type=int, help=f"largest Wyoming event (default {ServeLimits.max_event_bytes})")
    p.add_argument("--config", help="sayso config file (default: the usual one)")
    p.add_argument("--debug", action="store_true", help="debug logs (these may show transcripts and texts)")
    return p


def config_from_args(args: argparse.Namespace, base: ServeConfig) -> ServeConfig:
    limits = base.limits
    for name in ("max_audio_s", "max_text_chars", "max_event_bytes"):
        if getattr(args, name) is not None:
            limits = replace(limits, **{name: getattr(args, name)})
    cfg = replace(base, limits=limits, stt=base.stt and not args.no_stt, tts=base.tts and not args.no_tts)
    for name in ("uri", "http", "allow_remote", "api_key_file", "voice"):
        if getattr(args, name) is not None:
            cfg = replace(cfg, **{name: getattr(args, name)})
    return cfg


def main(argv: Optional[list] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO, format="sayso serve: %(levelname)s: %(message)s"
    )
    if not args.debug:
        logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # one INFO line per request
    try:
        from ..core.config import load_config

        user = load_config(args.config)
        cfg = config_from_args(args, user.serve)  # the flags over the config's [serve]
        for endpoint in check_addresses(cfg):  # before loading anything
            probe_listen(endpoint)
        if not (cfg.stt or cfg.tts):
            raise SaysoError("--no-stt and --no-tts: nothing to serve")
        stt_cfg = replace(user.stt, model=args.model) if args.model else user.stt
        engines = LocalEngines.load(stt_cfg, cfg.voice or user.speak.voice, stt=cfg.stt, tts=cfg.tts)
        return _run(Server(cfg, engines))
    except SaysoError as err:
        print(f"sayso serve: error: {err}", file=sys.stderr)
        return int(err.exit_status)
    except KeyboardInterrupt:
        return int(ExitStatus.INTERRUPTED)


def _run(server: Server) -> int:
    """Serve until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        server.start()
        print(
            f"sayso serve: listening on {server.uri}" + (f" and {server.http_url}" if server.http_url else ""),
            file=sys.stderr,
            flush=True,
        )
        sd_notify("READY=1", os.environ)
        loop.run_until_complete(stop.wait())
        sd_notify("STOPPING=1", os.environ)
    finally:
        server.stop()
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
