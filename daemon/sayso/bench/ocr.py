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

    def __init__(self, screen: Screen, env: Optional[dict] = None, prefix: tuple = ()) -> None:
        self.proc = subprocess.Popen(
            [*prefix, sys.executable, "-m", "sayso.bench.screens", screen.name],
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


# --- region -> speech ---------------------------------------------------------------

#: the target: a paragraph's region read aloud within this of the mouse release (p50)
REGION_TO_SPEECH_P50_S = 1.5
REGION_SCREEN = "two-dvsans-13-light"
#: the left column of REGION_SCREEN, as a person drags it
REGION_DRAG = (40, 30, 620, 200)


def _drag(env: Optional[dict], released: list) -> None:
    x0, y0, x1, y1 = REGION_DRAG

    def xdotool(*args: str) -> None:
        subprocess.run(["xdotool", *args], env=env, check=True, capture_output=True, timeout=10)

    xdotool("mousemove", str(x0), str(y0))
    xdotool("mousedown", "1")
    for step in range(1, 6):
        xdotool("mousemove", str(x0 + (x1 - x0) * step // 5), str(y0 + (y1 - y0) * step // 5))
    xdotool("mouseup", "1")
    released.append(time.perf_counter())


def run_region_to_speech(config, runs: int = 5, log: Callable[[str], None] = print) -> dict:
    """Mouse release -> first audio of the region's text, with the configured voice (the speakers)."""
    import threading

    from ..see.capture import capture
    from ..see.ocr.choose import make_ocr
    from ..speak.reader import ReadAloud, ReadAloudSettings

    ocr = make_ocr(config.see.ocr_engine, config.see.language)
    ocr.load()
    reader = ReadAloud(ReadAloudSettings.of(config))
    reader.load()
    samples = []
    try:
        with ShownScreen(SCREENS[REGION_SCREEN]):
            for _ in range(runs):
                released: list = []
                ready = lambda r=released: threading.Thread(target=_drag, args=(None, r), daemon=True).start()  # noqa: E731
                shot = capture("region", on_ready=ready)
                text = ocr.recognise(shot.image).text
                reader.speak_text(text)
                session = reader._session
                if session is None or not session.player.first_audio.wait(60):
                    raise TimeoutError("no audio within 60 s")
                samples.append(time.perf_counter() - released[0])
                reader.stop(join_s=10.0)
    finally:
        reader.close()
        ocr.close()
    ordered = sorted(samples)
    p50 = ordered[len(ordered) // 2]
    log(f"region -> speech: p50 {p50 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms over {runs} drags "
        f"(target p50 <= {REGION_TO_SPEECH_P50_S * 1000:.0f} ms)")  # fmt: skip
    return {"p50_s": p50, "max_s": ordered[-1], "samples_s": samples}


def main(config, runs: int = 5, json_path: Optional[str] = None, log: Callable[[str], None] = print) -> dict:
    """``sayso bench ocr``: the CER table, then region -> speech."""
    import json
    from pathlib import Path

    cases = run_ocr(log=log)
    table = summary(cases)
    for name, row in table.items():
        log(f"{name}: body text (>= 11 px) CER mean {row['body_cer_mean'] * 100:.2f} %, max "
            f"{row['body_cer_max'] * 100:.2f} % (target {CER_TARGET * 100:.0f} %); 9-10 px max "
            f"{row['small_cer_max'] * 100:.2f} %; two columns in order: {row['two_column_order_ok']}; "
            f"p50 {row['seconds_p50'] * 1000:.0f} ms a 1280x800 screen")  # fmt: skip
    report = {"cases": as_dicts(cases), "summary": table, "region_to_speech": run_region_to_speech(config, runs, log)}
    if json_path:
        Path(json_path).write_text(json.dumps(report, indent=1), encoding="utf-8")
    return report
