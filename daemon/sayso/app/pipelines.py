"""Build the read-aloud and rewrite pipelines for the daemon.

Each builds its pipeline, warms it in the background and returns it with its
actions by name, which the daemon adds to its :class:`~sayso.app.actions.ActionRegistry`
(the hotkeys, ``sayso ctl`` and the tray call them the same way).
"""

from __future__ import annotations

import logging
import threading
from typing import Optional

from ..core.config_types import Config
from ..core.errors import SaysoError, run_logged
from ..core.memory import release_freed_memory

_LOGGER = logging.getLogger(__name__)


def _warm(name: str, fn) -> None:
    def warm() -> None:
        run_logged(fn, f"preparing {name}")
        release_freed_memory()  # the warm-up's transient buffers

    threading.Thread(target=warm, daemon=True, name=f"warm-{name}").start()


def attach_speak(daemon, config: Config) -> tuple:
    """(the read-aloud pipeline, its actions); the voice loads in the background."""
    from ..speak.reader import ReadAloud, ReadAloudSettings

    reader = ReadAloud(
        ReadAloudSettings.of(config),
        daemon.clipboard,
        daemon.notifier,
        copy_selection=lambda: daemon.output.press_keys(config.output.copy_keys),
        session=daemon.session,
    )
    _warm("the voice", reader.load)

    def toggle_pause() -> None:
        (reader.resume if reader.status()["state"] == "paused" else reader.pause)()

    def speak_from(selection: str) -> None:
        try:
            text = reader.read_selection() if selection == "primary" else daemon.clipboard.read_text("clipboard")
            if not text.strip():
                raise SaysoError("the clipboard is empty")
            reader.speak_text(text)
        except SaysoError as err:
            daemon.notifier.notify(str(err), urgency="critical")
            raise

    return reader, {
        "speak.toggle": reader.toggle_selection,
        "speak.selection": lambda: speak_from("primary"),
        "speak.clipboard": lambda: speak_from("clipboard"),
        "speak.stop": reader.stop,
        "speak.pause": toggle_pause,
        "speak.resume": reader.resume,
        "speak.skip": reader.skip,
        "speak.faster": reader.faster,
        "speak.slower": reader.slower,
    }


def attach_rewrite(daemon, config: Config, reader=None) -> tuple:
    """(the rewrite pipeline, its actions); models load on first use."""
    from ..core.rewrite_actions import action_names
    from ..rewrite.rewriter import Rewriter, RewriteSettings

    rewriter = Rewriter(
        RewriteSettings.of(config),
        daemon.clipboard,
        daemon.notifier,
        speak=reader.speak_text if reader is not None else None,
        copy_selection=lambda: daemon.output.press_keys(config.output.copy_keys),
        paste=lambda: daemon.output.press_keys(config.output.paste_keys),
    )
    actions: dict = {
        f"rewrite.{name}": (lambda n=name: _report(rewriter.run(n))) for name in action_names(config.rewrite)
    }
    actions.update(
        {
            "rewrite.undo": lambda: _report(rewriter.undo()),
            "undo": lambda: _report(rewriter.undo()),
            "rewrite.cancel": rewriter.cancel,
            "rewrite.force-last": lambda: _report(rewriter.force_last()),
        }
    )
    return rewriter, actions


#: Harper's lint kinds the dictation clean-up applies: typos, repeated words, a/an.
#: Not "Redundancy"/"Style" ("all of the" -> "all the" is a choice), nor "Punctuation" (it
#: turned a correct "its planning" into "it's" on the corpus).
DICTATION_FIX_KINDS = {"Spelling", "Typo", "Repetition", "Miscellaneous"}
#: Harper's rules left out for a transcript: Whisper writes dictionary words, so its spell check
#: finds names ("Claflin") and costs 5 to 18 ms per new text (1 to 2 ms without it)
DICTATION_WITHOUT = ("SpellCheck", "Misspell", "SpelledNumbers")


def harper_fixer(vocabulary=()):
    """``dictate.cleanup``'s last rule: Harper's confident fixes of the kinds in
    :data:`DICTATION_FIX_KINDS`, leaving alone the user's vocabulary terms, hyphenated words
    (Whisper writes "cold-hearted"; Harper would split "hearted") and any fix that splits a word."""
    from ..rewrite.findings import apply_suggestions, harper_findings

    terms = {t.lower() for t in vocabulary if t.strip()}

    def safe(text: str, f) -> bool:
        word = text[f.start : f.end]
        hyphenated = text[f.start - 1 : f.start] == "-" or text[f.end : f.end + 1] == "-" or "-" in word
        splits = bool(f.suggestions) and " " in f.suggestions[0] and " " not in word
        return (
            f.confident
            and f.kind in DICTATION_FIX_KINDS
            and word.lower() not in terms
            and not hyphenated
            and not splits
        )

    def fix(text: str) -> str:
        return apply_suggestions(text, [f for f in harper_findings(text, without=DICTATION_WITHOUT) if safe(text, f)])

    return fix


def model_cleaner(rewriter):
    """``dictate.cleanup = "model"``: the rewrite ``clean`` action (guards and meaning check) on a
    transcript; None when it is refused or fails, and the rules' text is typed instead."""

    def clean(text: str) -> Optional[str]:
        result = rewriter.run("clean", text)
        return result.text if result.ok else None

    return clean


def _report(result) -> Optional[object]:
    """Rewrite results never raise; log failures as one line."""
    if not result.ok:
        _LOGGER.error("%s", result.log_message or result.message)
    return result


def attach_see(daemon, config: Config, reader=None) -> tuple:
    """(the screen-reading pipeline, its actions): ``see.read_<source>`` and ``see.describe_<source>``;
    the OCR engine loads in the background, the description engine on first use."""
    from ..see.reader import ScreenReader
    from ..see.sources import SOURCES

    see = ScreenReader(
        config.see,
        daemon.clipboard,
        daemon.notifier,
        speak=reader.speak_text if reader is not None else None,
        session=daemon.session,
    )
    _warm("the OCR engine", see.load)

    def read(source: str) -> dict:
        return {"status": "ok", "text": see.read(source)}

    def describe(source: str) -> dict:
        return {"status": "ok", "text": see.describe(source)}

    actions: dict = {}
    for source in SOURCES:
        actions[f"see.read_{source}"] = lambda s=source: read(s)
        actions[f"see.describe_{source}"] = lambda s=source: describe(s)
    actions["see.describe_details"] = lambda: describe("details")  # the last picture's details
    return see, actions
