"""``sayso read-image FILE`` and ``sayso describe-image FILE``: the screen-reading pipeline on a file."""

from __future__ import annotations

import sys

from ..core.errors import SaysoError


def add_commands(subparsers) -> None:
    for name, what in (("read-image", "read the text in an image aloud"), ("describe-image", "describe a picture")):
        p = subparsers.add_parser(name, help=f"{what} (PNG, JPEG, WebP, ...; see [see] in the config)")
        p.add_argument("file", metavar="FILE", help="the image")
        p.add_argument("--print", action="store_true", help="write the text to standard output instead")
        p.set_defaults(func=cmd_read_image if name == "read-image" else cmd_describe_image)


def cmd_read_image(args, config) -> int:
    return _run(args, config, describe=False)


def cmd_describe_image(args, config) -> int:
    return _run(args, config, describe=True)


def _run(args, config, describe: bool) -> int:
    from ..see.reader import ScreenReader

    see = ScreenReader(config.see)
    try:
        text = see.describe_file(args.file) if describe else see.read_file(args.file)
    finally:
        see.close()
    if args.print:
        print(text)
        return 0
    return _speak(text, config)


def _speak(text: str, config) -> int:
    from ..speak.reader import ReadAloud, ReadAloudSettings

    reader = ReadAloud(ReadAloudSettings.of(config), None)
    reader.speak_text(text)
    try:
        while not reader.wait(0.2):
            pass
    except KeyboardInterrupt:
        reader.close()
        raise
    error = reader.status()["error"]
    if error:
        raise SaysoError(error)
    sys.stdout.flush()
    return 0
