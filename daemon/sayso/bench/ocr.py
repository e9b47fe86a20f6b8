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
#: the left column of REGION_SCREEN, as a person drags it (in the screen window's pixels)
REGION_DRAG = (40, 30, 620, 200)


def _steps(origin: tuple) -> list:
    """The drag's pointer positions, press at the first, release at the last."""
    x0, y0, x1, y1 = REGION_DRAG
    ox, oy = origin
    return [(ox + x0 + (x1 - x0) * step // 5, oy + y0 + (y1 - y0) * step // 5) for step in range(6)]


def _drag_x11(origin: tuple, released: list) -> None:
    def xdotool(*args: str) -> None:
        subprocess.run(["xdotool", *args], check=True, capture_output=True, timeout=10)

    steps = _steps(origin)
    xdotool("mousemove", *map(str, steps[0]))
    xdotool("mousedown", "1")
    for x, y in steps[1:]:
        xdotool("mousemove", str(x), str(y))
    released.append(time.perf_counter())  # before the release: xdotool's start-up counts against sayso
    xdotool("mouseup", "1")


def _drag_wayland(pointer, origin: tuple, released: list) -> None:
    time.sleep(0.5)  # slurp maps its overlay (a person takes longer)
    steps = _steps(origin)
    pointer.move(*steps[0])
    pointer.button(True)
    for x, y in steps[1:]:
        pointer.move(x, y)
    released.append(time.perf_counter())
    pointer.button(False)


def sway_window_origin(title: str) -> tuple:
    """Where the content of the window titled *title* starts on sway's layout (tile less border and title bar)."""
    import json

    tree = json.loads(subprocess.run(["swaymsg", "-t", "get_tree"], capture_output=True, check=True, timeout=10).stdout)
    stack = [tree]
    while stack:
        node = stack.pop()
        if title in (node.get("name") or "") and node.get("window_rect"):
            return node["rect"]["x"] + node["window_rect"]["x"], node["rect"]["y"] + node["window_rect"]["y"]
        stack += node.get("nodes", []) + node.get("floating_nodes", [])
    raise RuntimeError(f"no window {title!r} in sway's tree")


def _cpu() -> float:
    """CPU seconds of this process (all threads) and its finished children (xdotool, slurp, grim)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _starter(session: str) -> tuple:
    """(a function that starts one drag in a thread, filling *released*; what to close after)."""
    import threading

    if session != "wayland":
        origin = (0, 0)
        return (lambda released: threading.Thread(target=_drag_x11, args=(origin, released), daemon=True).start()), None
    from .wayland_pointer import VirtualPointer

    origin = sway_window_origin("sayso screen")
    pointer = VirtualPointer(*_layout_size())
    start = lambda released: threading.Thread(  # noqa: E731
        target=_drag_wayland, args=(pointer, origin, released), daemon=True
    ).start()
    return start, pointer


def _layout_size() -> tuple:
    import json

    outputs = json.loads(subprocess.run(["swaymsg", "-t", "get_outputs"], capture_output=True, check=True,
                                        timeout=10).stdout)  # fmt: skip
    active = [o["rect"] for o in outputs if o.get("active")]
    return max(r["x"] + r["width"] for r in active), max(r["y"] + r["height"] for r in active)


def run_region_to_speech(config, runs: int = 5, log: Callable[[str], None] = print, session: str = "x11") -> dict:
    """Mouse release -> first audio sample of the region's text read aloud, through the same
    :class:`~sayso.see.reader.ScreenReader` the hotkey ``see.read_region`` calls, with the
    configured voice. The clock stops when PortAudio's callback is handed the first non-silent
    sample (``player.first_audio``); the sound device's own buffer comes after that."""
    from dataclasses import replace

    from ..see.reader import ScreenReader
    from ..speak.reader import ReadAloud, ReadAloudSettings

    reader = ReadAloud(ReadAloudSettings.of(config))
    reader.load()
    see = ScreenReader(replace(config.see, read_to="speak"), speak=reader.speak_text, session=session)
    see.load()
    samples, cpu, chars = [], [], 0
    with ShownScreen(SCREENS[REGION_SCREEN]):
        start, closing = _starter(session)
        try:
            for _ in range(runs):
                released: list = []
                see.on_capture_ready = lambda r=released: start(r)
                cpu_before = _cpu()
                chars = len(see.read("region"))
                session_ = reader._session
                if session_ is None or not session_.player.first_audio.wait(60):
                    raise TimeoutError("no audio within 60 s")
                samples.append(time.perf_counter() - released[0])
                cpu.append(_cpu() - cpu_before)
                reader.stop(join_s=10.0)
        finally:
            if closing is not None:
                closing.close()
            see.close()
            reader.close()
    ordered = sorted(samples)
    p50 = ordered[len(ordered) // 2]
    cpu_p50 = sorted(cpu)[len(cpu) // 2]
    log(f"region -> speech ({session}): p50 {p50 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms over {runs} drags "
        f"of {chars} characters (target p50 <= {REGION_TO_SPEECH_P50_S * 1000:.0f} ms); CPU a drag p50 "
        f"{cpu_p50:.2f} s (capture, OCR and synthesis up to the first audio, and the pointer tool)")  # fmt: skip
    return {"session": session, "p50_s": p50, "max_s": ordered[-1], "samples_s": samples, "cpu_s": cpu,
            "cpu_p50_s": cpu_p50, "characters": chars}  # fmt: skip


def main(
    config,
    runs: int = 5,
    json_path: Optional[str] = None,
    log: Callable[[str], None] = print,
    region_only: bool = False,
) -> dict:
    """``sayso bench ocr``: the CER table, then region -> speech (``ocr-region``: that alone) in this
    session (X11: xdotool; Wayland: sway, slurp and grim, a virtual pointer)."""
    import json
    from pathlib import Path

    from ..desktop.session import resolve_session

    session = resolve_session(config.general.session)
    if region_only:
        report: dict = {"region_to_speech": run_region_to_speech(config, runs, log, session)}
        if json_path:
            Path(json_path).write_text(json.dumps(report, indent=1), encoding="utf-8")
        return report
    cases = run_ocr(log=log)
    table = summary(cases)
    for name, row in table.items():
        log(f"{name}: body text (>= 11 px) CER mean {row['body_cer_mean'] * 100:.2f} %, max "
            f"{row['body_cer_max'] * 100:.2f} % (target {CER_TARGET * 100:.0f} %); 9-10 px max "
            f"{row['small_cer_max'] * 100:.2f} %; two columns in order: {row['two_column_order_ok']}; "
            f"p50 {row['seconds_p50'] * 1000:.0f} ms a 1280x800 screen")  # fmt: skip
    report = {"cases": as_dicts(cases), "summary": table,
              "region_to_speech": run_region_to_speech(config, runs, log, session)}  # fmt: skip
    if json_path:
        Path(json_path).write_text(json.dumps(report, indent=1), encoding="utf-8")
    return report
