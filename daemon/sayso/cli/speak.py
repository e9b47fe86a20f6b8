"""``sayso speak`` and ``sayso voices list|pull``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ..core.errors import InputError, SaysoError

log = logging.getLogger(__name__)


def add_commands(subparsers) -> None:
    p = subparsers.add_parser("speak", help="read TEXT (or stdin, the selection, the clipboard) aloud")
    src = p.add_mutually_exclusive_group()
    src.add_argument("text", nargs="?", help="the text to read; '-' reads standard input")
    src.add_argument("--selection", action="store_true", help="read the selected text (PRIMARY on X11)")
    src.add_argument("--clipboard", action="store_true", help="read the clipboard")
    p.add_argument("--file", metavar="PATH", help="read the text from a file")
    p.add_argument("--voice", metavar="NAME", help="voice profile, pulled catalog voice or .onnx path")
    p.add_argument("--rate", type=_rate, metavar="R", help="speaking rate for this text (1.0 normal, 1.5 faster)")
    p.add_argument("--out", metavar="FILE.wav", help="write a WAV file instead of playing")
    p.set_defaults(func=cmd_speak)

    p = subparsers.add_parser("voices", help="list or download piper voices")
    vsub = p.add_subparsers(dest="voices_command", metavar="ACTION", required=True)
    v = vsub.add_parser("list", help="installed voices and the downloadable catalog")
    v.add_argument("--installed", action="store_true", help="only the installed voices")
    v.set_defaults(func=cmd_voices_list, needs_config=False)
    v = vsub.add_parser("pull", help="download a catalog voice (checksum verified)")
    v.add_argument("name", help="catalog name, e.g. en_US-lessac-medium")
    v.add_argument("--no-progress", action="store_true", help="no progress bar")
    v.set_defaults(func=cmd_voices_pull, needs_config=False)


def _rate(value: str) -> float:
    try:
        rate = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0.3 <= rate <= 4.0:
        raise argparse.ArgumentTypeError("must be between 0.3 and 4.0")
    return rate


def _read_stdin() -> str:
    data = sys.stdin.buffer.read()
    if b"\x00" in data:
        raise InputError("standard input holds binary data, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("standard input is not UTF-8 text") from None


def _read_file(path: str) -> str:
    try:
        data = Path(path).expanduser().read_bytes()
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror or err}") from None
    from ..desktop.clipboard import decode_text

    return decode_text(data, path)


def _clipboard(config):
    from ..desktop.clipboard import Clipboard

    return Clipboard.detect(config.general.session)


def cmd_speak(args, config) -> int:
    from ..speak.reader import ReadAloud, ReadAloudSettings

    clipboard = _clipboard(config) if (args.selection or args.clipboard) else None
    reader = ReadAloud(ReadAloudSettings.of(config), clipboard)
    if args.file:
        text = _read_file(args.file)
    elif args.selection:
        text = reader.read_selection()
    elif args.clipboard:
        assert clipboard is not None  # made above for --clipboard
        text = clipboard.read_text("clipboard")
    elif args.text is None or args.text == "-":
        if args.text is None and sys.stdin.isatty():
            raise InputError("nothing to read: give TEXT, '-', --file, --selection or --clipboard")
        text = _read_stdin()
    else:
        text = args.text
    if args.out:
        seconds = reader.synthesize_to_wav(text, args.out, args.voice, args.rate)
        log.info("Wrote %s (%.1f s of speech)", args.out, seconds)
        return 0
    reader.speak_text(text, args.voice, args.rate)
    try:
        while not reader.wait(0.2):
            pass
    except KeyboardInterrupt:
        reader.close()  # silence, and let the synthesis thread end before the interpreter does
        raise
    error = reader.status()["error"]
    if error:
        raise SaysoError(error)
    return 0


def cmd_voices_list(args, config) -> int:
    from ..speak.voice_catalog import Catalog, format_size, is_pulled
    from ..speak.voices import VoiceRegistry

    registry = VoiceRegistry()
    installed = registry.installed()
    print("Installed voices:")
    for name, profile in sorted(installed.items()):
        print(f"  {name:<28} {profile.language:<6} {profile.description}")
    for name, err in sorted(registry.errors.items()):
        print(f"  {name:<28} (broken profile: {err})")
    if args.installed:
        return 0
    print("\nCatalog ('sayso voices pull NAME'):")
    for name, voice in sorted(Catalog.load().voices.items()):
        mark = "installed" if is_pulled(voice, registry.user_dir) else format_size(voice.size)
        print(f"  {name:<28} {voice.language:<6} {voice.quality:<7} {mark:>9}  {voice.description}")
    return 0


def cmd_voices_pull(args, config) -> int:
    from ..speak.voice_catalog import Catalog, pull
    from ..speak.voices import user_voices_dir

    voice = Catalog.load().get(args.name)
    folder = pull(voice, user_voices_dir(), progress=not args.no_progress and sys.stderr.isatty())
    print(f'{voice.name} installed in {folder}; use it with --voice {voice.name} or speak.voice = "{voice.name}"')
    return 0
