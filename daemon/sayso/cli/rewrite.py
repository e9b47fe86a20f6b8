"""CLI: ``sayso rewrite ACTION`` and ``sayso models list|pull NAME``."""

from __future__ import annotations

import argparse
import sys

from ..core.errors import ExitStatus, SaysoError
from ..core.rewrite_actions import ENGINES, action_names


def add_commands(subparsers) -> None:
    rewrite = subparsers.add_parser(
        "rewrite",
        help="rewrite text with an action (fix, formal, friendly, concise, simplify, translate, explain...)",
        description="Rewrite text and print the result. Without --text or '-', the clipboard is read and "
        "replaced with the result (explain leaves it as it was).",
    )
    rewrite.add_argument("action", help=f"an action: {', '.join(action_names())} or one from the config")
    rewrite.add_argument("stdin", nargs="?", choices=["-"], help="read the text from standard input")
    rewrite.add_argument("--text", help="the text to rewrite")
    rewrite.add_argument("--clipboard", action="store_true", help="rewrite the clipboard (the default)")
    rewrite.add_argument("--engine", choices=ENGINES, help="override the engine for this run")
    rewrite.add_argument("--to", dest="language", metavar="LANGUAGE", help="target language for translate/explain")
    rewrite.add_argument("--force", action="store_true", help="use the rewrite even if the meaning check refuses it")
    rewrite.set_defaults(func=rewrite_command)

    models = subparsers.add_parser("models", help="list or download GGUF models for rewriting and describing pictures")
    sub = models.add_subparsers(dest="models_command", metavar="COMMAND")
    sub.required = True
    sub.add_parser("list", help="the model catalog and what is downloaded").set_defaults(func=models_list_command)
    pull = sub.add_parser("pull", help="download a catalog model (sha256 checked)")
    pull.add_argument("name", help="a catalog name, e.g. qwen2.5-1.5b")
    pull.add_argument("--no-progress", action="store_true", help="no progress bar")
    pull.set_defaults(func=models_pull_command)


def rewrite_command(args: argparse.Namespace, config) -> int:
    from ..rewrite.rewriter import Rewriter, RewriteSettings

    sources = [args.text is not None, args.stdin == "-", bool(args.clipboard)]
    if sum(sources) > 1:
        return _error("give only one of --text, '-' or --clipboard", ExitStatus.USAGE)
    text = args.text
    if args.stdin == "-":
        text = sys.stdin.read()
    try:
        clipboard = None if text is not None else _clipboard(config)
        rewriter = Rewriter(RewriteSettings.of(config), clipboard, _Silent())
    except SaysoError as err:
        return _error(str(err), err.exit_status)
    try:
        result = rewriter.run(args.action, text, engine=args.engine, language=args.language, force=args.force)
    finally:
        rewriter.close()
    if not result.ok:
        return _error(result.message, result.status)
    out = result.text
    sys.stdout.write(out if out.endswith("\n") else out + "\n")
    return ExitStatus.SUCCESS


class _Silent:
    """The CLI prints the result or the reason itself: no notices."""

    def notify(self, summary: str, body: str = "", *, urgency: str = "normal", log_as: str = "") -> None:
        pass


def _clipboard(config):
    from ..desktop.clipboard import Clipboard

    return Clipboard.detect(config.general.session)


def models_list_command(args: argparse.Namespace, config) -> int:
    from ..rewrite.models import list_models, resolve_model

    current = resolve_model(config.rewrite.model)
    for row in list_models():
        state = "downloaded" if row.path else "-"
        mark = "*" if row.path is not None and row.path == current else " "
        size = f"{row.size / 1e9:.2f} GB" if row.size else "?"
        print(f"{mark} {row.name:<14} {size:>8}  {state:<10}  {row.label} [{row.license}]")
    from ..see.describe.models import VISION_CATALOG, pulled

    for vision in VISION_CATALOG:  # see.model: describe pictures
        state = "downloaded" if pulled(vision.name) else "-"
        size = f"{vision.size / 1e9:.2f} GB"
        print(f"  {vision.name:<14} {size:>8}  {state:<10}  {vision.label}, for see.model"
              f" [{vision.license}]")  # fmt: skip
    return ExitStatus.SUCCESS


def models_pull_command(args: argparse.Namespace, config) -> int:
    from ..rewrite.models import pull
    from ..see.describe.models import VISION_BY_NAME, pull_vision

    progress = not args.no_progress and sys.stderr.isatty()
    try:
        if args.name in VISION_BY_NAME:  # the GGUF and its projector
            files = pull_vision(args.name, progress)
            paths = [files.model, files.projector]
        else:
            paths = [pull(args.name, progress)]
    except SaysoError as err:
        if args.name not in VISION_BY_NAME and "unknown model" in str(err):
            return _error(f"{err}; vision models: {', '.join(VISION_BY_NAME)}", err.exit_status)
        return _error(str(err), err.exit_status)
    for path in paths:
        print(path)
    return ExitStatus.SUCCESS


def _error(message: str, status: int) -> int:
    print(f"sayso: {message}", file=sys.stderr)
    return int(status)
