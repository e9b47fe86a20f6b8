"""Command line: ``sayso run|dictate|type|config|...``.

Errors are one line and the exit code says what failed (:class:`ExitStatus`);
``--debug`` adds tracebacks and debug logs.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

from .. import __version__
from ..core.config import default_toml_text, load_config, to_toml, user_config_path
from ..core.config_types import Config
from ..core.errors import ExitStatus, InputError, SaysoError

_LOGGER = logging.getLogger("sayso")

#: modules that add their own sub-commands with ``add_commands(subparsers)``
PLUGIN_COMMANDS = ("cli.speak", "cli.rewrite", "cli.control", "cli.bench", "cli.see", "cli.settings")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sayso", description="Local dictation, read-aloud and rewrite on global hotkeys."
    )
    parser.add_argument("--version", action="version", version=f"sayso {__version__}")
    parser.add_argument(
        "--config", metavar="PATH", help="config file (default: $SAYSO_CONFIG or $XDG_CONFIG_HOME/sayso/config.toml)"
    )
    parser.add_argument("--debug", action="store_true", help="debug logs and tracebacks (may show your text)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", help="run the daemon in the foreground")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("dictate", help="transcribe an audio file exactly like a live dictation")
    p.add_argument("--file", required=True, metavar="AUDIO", help="audio file (wav, flac, mp3, ...)")
    p.add_argument("--raw", action="store_true", help="skip post-processing (voice commands, fillers)")
    p.set_defaults(func=cmd_dictate)

    p = sub.add_parser(
        "serve", help="offer this machine's speech engines over Wyoming (and HTTP): sayso serve --help", add_help=False
    )
    p.add_argument("serve_args", nargs=argparse.REMAINDER, help="see sayso serve --help")
    p.set_defaults(func=cmd_serve, needs_config=False)

    p = sub.add_parser("type", help="insert TEXT at the cursor through the configured output method")
    p.add_argument("text", metavar="TEXT", help="text to insert ('-' reads standard input)")
    p.add_argument(
        "--method", choices=["auto", "type", "paste", "xdotool", "wtype", "ydotool"], help="override output.method"
    )
    p.add_argument("--delay", type=float, default=0.0, metavar="S", help="wait S seconds first (to focus a window)")
    p.set_defaults(func=cmd_type)

    p = sub.add_parser("history", help="show recent dictations that could not be typed")
    p.add_argument("--json", action="store_true", help="as a JSON list")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("config", help="write, check or show the config")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    c = csub.add_parser("init", help="write the commented default config")
    c.add_argument("--force", action="store_true", help="overwrite an existing file")
    c.set_defaults(func=cmd_config_init, needs_config=False)
    c = csub.add_parser("check", help="validate the config")
    c.set_defaults(func=cmd_config_check, needs_config=False)
    c = csub.add_parser("show", help="print the effective config")
    c.set_defaults(func=cmd_config_show)
    c = csub.add_parser("path", help="print the config file path")
    c.set_defaults(func=cmd_config_path, needs_config=False)

    for name in PLUGIN_COMMANDS:
        try:
            module = importlib.import_module(f"sayso.{name}")
        except ImportError as err:
            if err.name != f"sayso.{name}":
                raise
            continue
        module.add_commands(sub)
    return parser


def _parse(parser: argparse.ArgumentParser, argv: list) -> argparse.Namespace:
    """The arguments; everything after ``serve`` is ``sayso serve``'s own (its --help too)."""
    if "serve" in argv:
        at = argv.index("serve") + 1
        args = parser.parse_args(argv[:at])
        if args.command == "serve":
            args.serve_args = argv[at:]
            return args
    return parser.parse_args(argv)


def setup_logging(debug: bool, quiet: bool) -> None:
    level = logging.DEBUG if debug else (logging.WARNING if quiet else logging.INFO)
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s" if debug else "sayso: %(levelname)s: %(message)s"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("sayso").setLevel(level)
    if debug:
        root.setLevel(logging.DEBUG)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = _parse(parser, list(sys.argv[1:] if argv is None else argv))
    setup_logging(args.debug, args.quiet)
    if not getattr(args, "func", None):
        parser.print_help()
        return ExitStatus.USAGE
    try:
        config = None
        if getattr(args, "needs_config", True):
            config = load_config(Path(args.config) if args.config else None)
        return int(args.func(args, config) or 0)
    except SaysoError as err:
        if args.debug:
            _LOGGER.exception("Failed")
        print(f"sayso: error: {err}", file=sys.stderr)
        return err.exit_status
    except KeyboardInterrupt:
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        return ExitStatus.ERROR
    except Exception as err:
        if args.debug:
            raise
        print(f"sayso: internal error: {type(err).__name__}: {err} (run with --debug for details)", file=sys.stderr)
        return ExitStatus.ERROR


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------


def cmd_run(args, config: Config) -> int:
    from ..app.daemon import Daemon
    from ..core.memory import limit_heaps

    limit_heaps()  # before the daemon's threads make heaps of their own
    daemon = Daemon(config, args.config)
    code = daemon.run()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # do not wait for a transcription still running in a worker


def cmd_dictate(args, config: Config) -> int:
    from ..dictate.engines.faster_whisper import load_audio_file
    from ..dictate.postprocess import Composer

    audio = load_audio_file(args.file)
    transcript = _transcribe_file(audio, config)
    if transcript.empty:
        raise InputError(f"no speech found in {args.file}")
    text = transcript.text if args.raw else Composer(config.dictate).compose(transcript.text).text
    print(text)
    return 0


def _transcribe_file(audio, config: Config):
    """The configured engine's transcript; the local one's when a remote engine
    fails and ``stt.fallback = "local"`` (said in one line)."""
    from ..core.errors import RemoteError
    from ..dictate.chunks import transcribe_dictation
    from ..dictate.engines.faster_whisper import Transcriber
    from ..remote.factory import build_stt

    remote = build_stt(config.stt, config.stt) if config.stt.engine != "local" else None
    if remote is not None:
        try:
            return remote.transcribe(audio)
        except RemoteError as err:
            if config.stt.fallback != "local":
                raise
            _LOGGER.warning("%s: transcribing here instead", err)
        finally:
            remote.close()
    return transcribe_dictation(Transcriber.load(config.stt), audio)


def cmd_serve(args, config) -> int:
    from ..serve.server import main as serve_main

    extra = (["--config", args.config] if args.config else []) + (["--debug"] if args.debug else [])
    return serve_main(extra + list(args.serve_args))


def cmd_type(args, config: Config) -> int:
    import time

    from ..desktop.clipboard import Clipboard
    from ..desktop.output import Output
    from ..desktop.session import resolve_session
    from ..dictate.postprocess import Edit

    text = sys.stdin.read() if args.text == "-" else args.text
    if args.method:
        config.output.method = args.method
    session = resolve_session(config.general.session)
    clipboard = None
    try:
        clipboard = Clipboard.detect(session)
    except SaysoError as err:
        _LOGGER.info("%s", err)
    if args.delay:
        time.sleep(args.delay)
    output = Output(config.output, session, clipboard)
    try:
        method = output.insert(Edit(0, text))
    finally:
        output.close()  # a portal session ends with us
    _LOGGER.info("Inserted %d characters (%s)", len(text), method)
    return 0


def cmd_history(args, config: Config) -> int:
    import datetime
    import json

    from ..dictate.history import read_undelivered, runtime_dir

    entries = read_undelivered(runtime_dir() / "undelivered.jsonl")
    if args.json:
        print(json.dumps(entries, ensure_ascii=False, indent=1))
        return 0
    if not entries:
        print("No undelivered dictations.")
    for e in entries:
        when = datetime.datetime.fromtimestamp(e["time"]).strftime("%Y-%m-%d %H:%M:%S")
        kept = f"\n(the recording is kept in {e['audio']}: sayso ctl dictate retry)" if e.get("audio") else ""
        print(f"{when}  ({e.get('error', '')})\n{e['text']}{kept}\n")
    return 0


def cmd_config_init(args, config) -> int:
    path = Path(args.config) if args.config else user_config_path()
    if path.exists() and not args.force:
        raise SaysoError(f"{path} exists already (use --force to overwrite)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(default_toml_text(), encoding="utf-8")
    print(f"Wrote {path}")
    return 0


def cmd_config_check(args, config) -> int:
    cfg = load_config(Path(args.config) if args.config else None)
    print(f"{cfg.source}: OK")
    return 0


def cmd_config_show(args, config: Config) -> int:
    print(f"# effective config (from {config.source} over the defaults)")
    print(to_toml(config), end="")
    return 0


def cmd_config_path(args, config) -> int:
    print(Path(args.config) if args.config else user_config_path())
    return 0
