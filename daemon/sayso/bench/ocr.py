"""``sayso bench ocr``: character error rate and time of each OCR engine on screen text.

Every screen of :mod:`sayso.bench.screens` is drawn in a real Tk window on
the X display, captured by :func:`sayso.see.capture.capture` (the whole
screen, as the daemon does), recognised by each engine and compared with
the text drawn. The CER target (2 %) is for body text (>= 11 px).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from typing import Callable, Iterable, Optional

from .screens import SCREENS, Screen, columns_text, reference

CER_TARGET = 0.02


@dataclass
class OcrCase:
    engine: str
    screen: str
    px: int
    theme: str
    columns: int
    cer: float
    seconds: float
    order_ok: bool


def normalise(text: str) -> str:
    """Whitespace collapsed to single spaces (line breaks differ with wrapping)."""
    return re.sub(r"\s+", " ", text).strip()


def cer(reference_text: str, hypothesis: str) -> float:
    """Character error rate: edit distance over the reference's length, on normalised text."""
    ref, hyp = normalise(reference_text), normalise(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return _distance(ref, hyp) / len(ref)


def _distance(a: str, b: str) -> int:
    try:
        from rapidfuzz.distance import Levenshtein

        return int(Levenshtein.distance(a, b))
    except ImportError:  # pragma: no cover - rapidfuzz comes with jiwer
        previous = list(range(len(b) + 1))
        for i, ca in enumerate(a, 1):
            current = [i]
            for j, cb in enumerate(b, 1):
                current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
            previous = current
        return previous[-1]


def order_ok(screen: Screen, text: str) -> bool:
    """Each column's first words come in the columns' order (left before right)."""
    flat = normalise(text)
    starts = []
    for column in columns_text(screen):
        head = " ".join(normalise(column).split()[:4])
        at = flat.find(head)
        if at < 0:
            return False
        starts.append(at)
    return starts == sorted(starts)


class ShownScreen:
    """A screen drawn by ``python -m sayso.bench.screens`` until :meth:`close`."""

    def __init__(self, screen: Screen, env: Optional[dict] = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sayso.bench.screens", screen.name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.close()
            raise RuntimeError(f"the screen {screen.name} did not open")
        time.sleep(0.2)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> ShownScreen:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def run_ocr(
    engines: Iterable[str] = ("tesseract",),
    screens: Iterable[str] = tuple(SCREENS),
    log: Callable[[str], None] = print,
) -> list[OcrCase]:
    from ..see.capture import capture
    from ..see.ocr.choose import make_ocr

    loaded = {}
    for name in engines:
        engine = make_ocr(name)
        engine.load()
        loaded[name] = engine
    cases = []
    for screen_name in screens:
        screen = SCREENS[screen_name]
        with ShownScreen(screen):
            shot = capture("screen")
        for name, engine in loaded.items():
            result = engine.recognise(shot.image)
            case = OcrCase(name, screen.name, screen.px, screen.theme, screen.columns,
                           cer(reference(screen), result.text), result.seconds,
                           order_ok(screen, result.text))  # fmt: skip
            log(f"{name:10} {screen.name:28} CER {case.cer * 100:6.2f} %  {case.seconds:5.2f} s"
                + ("" if screen.columns == 1 else f"  order {'ok' if case.order_ok else 'WRONG'}"))  # fmt: skip
            cases.append(case)
    for engine in loaded.values():
        engine.close()
    return cases


def summary(cases: list[OcrCase]) -> dict:
    out: dict = {}
    for name in sorted({c.engine for c in cases}):
        mine = [c for c in cases if c.engine == name]
        body = [c for c in mine if c.px >= 11]
        out[name] = {
            "body_cer_mean": sum(c.cer for c in body) / max(1, len(body)),
            "body_cer_max": max((c.cer for c in body), default=0.0),
            "small_cer_max": max((c.cer for c in mine if c.px < 11), default=0.0),
            "seconds_p50": sorted(c.seconds for c in mine)[len(mine) // 2],
            "two_column_order_ok": all(c.order_ok for c in mine if c.columns == 2),
        }
    return out


def as_dicts(cases: list[OcrCase]) -> list[dict]:
    return [asdict(c) for c in cases]
