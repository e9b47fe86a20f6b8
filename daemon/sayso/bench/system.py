"""``sayso bench speak|rewrite|idle``: read aloud, rewrite, and the idle daemon.

Read aloud and rewrite call the code of their own modules (the read-aloud
measurement is ``measure()`` of ``sayso.bench_speak`` or, in a source
checkout, ``scripts/bench_speak.py``); a part that cannot run here is
reported as not available, with the reason.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

from ..core.config_types import Config, RewriteConfig

REPO = Path(__file__).resolve().parents[3]

PARAGRAPH = (  # ~100 words with a few mistakes for "fix"
    "Their are many reasons why people choose to work from home, and most of them has to do with time. "
    "Without a long commute, a worker can start the day earlier and finish it with more energy left for "
    "family and friends. However, working alone can also feel isolating, and it is easy to lose track of "
    "time when the office is also the kitchen. Many teams now meet in person once a week to keep in touch, "
    "share ideas and solve problems together. The best arrangement depends on the job, the person and the "
    "team, so it is worth trying different options before deciding what works for you."
)


def _not_available(reason: str) -> dict:
    return {"available": False, "reason": reason}


def _load_script(name: str):
    """``sayso.<name>`` if packaged, else ``scripts/<name>.py`` of a source checkout, else None."""
    try:
        return importlib.import_module(f"sayso.{name}")
    except ImportError:
        pass
    path = REPO / "scripts" / f"{name}.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"_sayso_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- read aloud ---------------------------------------------------------------
def speak(config: Config, runs: int = 1, chars: int = 5000) -> dict:
    """Time to first audio for a long text, against synthesising all first; RTF."""
    try:
        module = _load_script("bench_speak")
    except Exception as err:
        return _not_available(f"read-aloud bench failed to load: {_one_line(err)}")
    if module is None or not hasattr(module, "measure"):
        return _not_available("read-aloud bench (sayso.bench_speak / scripts/bench_speak.py) not found")
    text = (
        module.bench_text(chars) if hasattr(module, "bench_text") else (PARAGRAPH + " ") * (chars // len(PARAGRAPH) + 1)
    )
    samples = []
    try:
        for _ in range(max(1, runs)):
            samples.append(module.measure(text[:chars], config.speak.voice, False))
    except BaseException as err:  # the script may SystemExit
        return _not_available(f"read aloud failed: {_one_line(err)}")
    first = [s["streaming_first_audio_s"] * 1000 for s in samples]
    whole = [s["synthesize_all_first_audio_s"] * 1000 for s in samples]
    out = {
        "available": True,
        "chars": samples[0].get("chars", chars),
        "voice": samples[0].get("voice", ""),
        "runs": len(samples),
        "first_audio_ms": round(statistics.median(first), 1),
        "first_audio_max_ms": round(max(first), 1),
        "synthesize_all_first_audio_ms": round(statistics.median(whole), 1),
        "real_time_factor": round(statistics.median(s["real_time_factor"] for s in samples), 3),
        "speech_s": samples[0].get("speech_s"),
        "output": samples[0].get("output", ""),
    }
    out["ratio"] = (
        round(out["first_audio_ms"] / out["synthesize_all_first_audio_ms"], 4)
        if out["synthesize_all_first_audio_ms"]
        else None
    )
    return out


# --- rewrite ------------------------------------------------------------------
class _Quiet:
    def notify(self, summary: str, body: str = "", *, urgency: str = "normal", log_as: str = "") -> None:
        pass


def rewrite(config: Config, runs: int = 3, engines=("harper", "llama", "openai")) -> dict:
    """Latency of the ``fix`` action per engine on a ~100-word paragraph."""
    try:
        from ..core.errors import SaysoError
        from ..rewrite.rewriter import Rewriter, RewriteSettings
    except ImportError as err:
        return _not_available(f"rewrite is not installed: {_one_line(err)}")
    rows = []
    for name in engines:
        cfg, note = _engine_config(config, name)
        rewriter = Rewriter(RewriteSettings.of(cfg), None, _Quiet())
        try:
            row = _rewrite_engine(rewriter, name, max(1, runs), SaysoError)
        finally:
            if hasattr(rewriter, "close"):
                rewriter.close()
        if note and row["available"]:
            row["model"] = note
        rows.append(row)
    return {
        "available": any(r["available"] for r in rows),
        "words": len(PARAGRAPH.split()),
        "action": "fix",
        "engines": rows,
    }


def _engine_config(config: Config, name: str) -> tuple:
    """The config to bench *name* with: for ``llama`` with no model pulled,
    the bundled test model if installed (labelled as such)."""
    from ..rewrite.models import BUNDLED, bundled_model, resolve_model

    if name != "llama" or resolve_model(config.rewrite.model) is not None or bundled_model() is None:
        return config, ""
    rewrite_cfg = dataclasses.replace(config.rewrite, model=BUNDLED)
    return dataclasses.replace(config, rewrite=rewrite_cfg), f"{BUNDLED} (bundled test model; no model pulled)"


def _why_not(cfg: RewriteConfig, name: str) -> str:
    if name == "openai":
        return f"no server answers at {cfg.base_url}"
    if name == "llama":
        return "no model (sayso models pull NAME)"
    return "not installed"


def _rewrite_engine(rewriter, name: str, runs: int, error_type) -> dict:
    try:
        engine = rewriter.engines.get(name)
        if not engine.available():
            return {"engine": name, "available": False, "reason": _why_not(rewriter.cfg, name)}
    except error_type as err:
        return {"engine": name, "available": False, "reason": str(err)}
    times, result = [], None
    for _ in range(runs + 1):  # the first call loads the engine: reported apart
        result = rewriter.run("fix", PARAGRAPH, engine=name)
        times.append(result.elapsed * 1000)
    row = {
        "engine": name,
        "available": True,
        "first_ms": round(times[0], 1),
        "p50_ms": round(statistics.median(times[1:]), 1),
        "runs": runs,
        "ok": bool(result.ok),
    }
    if not result.ok:
        row["message"] = result.message
    return row


# --- idle daemon ----------------------------------------------------------------
def idle(
    config_path: Optional[str], seconds: float = 30.0, log: Callable[[str], None] = print, env: Optional[dict] = None
) -> dict:
    """CPU (% of one core) and RSS of a real ``sayso run`` with its models loaded."""
    try:
        import psutil
    except ImportError:
        return _not_available("needs psutil (pip install 'sayso[bench]')")
    env = dict(os.environ if env is None else env)
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return _not_available("needs a graphical session (DISPLAY or WAYLAND_DISPLAY) for the daemon's hotkeys")
    cmd = [sys.executable, "-m", "sayso"] + (["--config", config_path] if config_path else []) + ["run"]
    with tempfile.TemporaryFile("w+") as errlog:
        proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=errlog, text=True, start_new_session=True
        )
        try:
            ready = _wait_loaded(proc, errlog, 180)
            if not isinstance(ready, str) or ready.startswith("!"):
                return _not_available(ready[1:] if isinstance(ready, str) else "the daemon did not start")
            log(f"  idle: daemon ready, measuring {seconds:.0f} s")
            result = _measure_idle(psutil.Process(proc.pid), seconds)
            result["voice_loaded"] = bool(re.search(_VOICE, ready))
            return result
        finally:
            _stop(proc)


_LOADED = (r"Speech model warm", r"Ready: hotkeys live")
_VOICE = r"Voice \S+ loaded"


def _wait_loaded(proc, errlog, timeout: float) -> str:
    """The daemon's log once it is ready with the speech model warm (and the
    voice loaded, if it loads one within 20 s more); "!reason" on failure."""
    deadline = time.monotonic() + timeout
    ready_at = None
    while time.monotonic() < deadline:
        errlog.seek(0)
        seen = errlog.read()
        if proc.poll() is not None:
            tail = [ln for ln in seen.splitlines() if ln.strip()][-1:]
            return f"!the daemon exited ({proc.returncode}): {tail[0] if tail else 'no output'}"
        if ready_at is None and all(re.search(p, seen) for p in _LOADED):
            ready_at = time.monotonic()
        if ready_at is not None and (re.search(_VOICE, seen) or time.monotonic() - ready_at > 20):
            time.sleep(3.0)  # let start-up work settle
            errlog.seek(0)
            return errlog.read()
        time.sleep(0.2)
    return "!the daemon did not get ready in time"


def _measure_idle(process, seconds: float) -> dict:
    procs = [process] + process.children(recursive=True)
    before = {p.pid: sum(p.cpu_times()[:2]) for p in procs}
    t0 = time.monotonic()
    time.sleep(seconds)
    wall = time.monotonic() - t0
    used = 0.0
    rss = 0
    for p in procs:
        try:
            used += sum(p.cpu_times()[:2]) - before[p.pid]
            rss += p.memory_info().rss
        except Exception:
            continue
    threads = process.num_threads()
    return {
        "available": True,
        "seconds": round(wall, 1),
        "cpu_percent": round(100.0 * used / wall, 3),
        "rss_mb": round(rss / 2**20, 1),
        "threads": threads,
    }


def _stop(proc) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def machine() -> dict:
    """CPU model, cores and load, for the report."""
    info = {"cpus": os.cpu_count(), "platform": sys.platform, "python": sys.version.split()[0]}
    try:
        info["load_avg"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        import platform

        info["cpu_model"] = platform.processor()
    return info
