"""``sayso bench remote``: release -> text and first audio through the remote
engines, beside the local ones, on loopback.

The engines measured are the configured ones (``stt.engine``,
``speak.engine``: wyoming-faster-whisper, wyoming-piper, another
``sayso serve``...); for a part whose engine is ``local``, ``sayso serve``
is started in this process on free loopback ports and measured over both
of its protocols, Wyoming and OpenAI-compatible HTTP.

Dictation rows drive :class:`~sayso.dictate.dictation.Dictation` as the daemon does
(:class:`sayso.bench.dictate.Rig`): the audio is fed at real-time pace, so
a Wyoming engine receives it while the "key" is held, and the latency is
from the release to the text.  Read-aloud rows time a reading of a few
sentences from ``speak_text`` to the first audio reaching the output (a
clocked null output).  Benchmarks, not tests: nothing here passes or fails.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Callable, Optional

from ..core.config_types import Config

SPEAK_TEXT = (
    "Reading by ear helps many people. When a page is read aloud, the listener can rest their eyes "
    "and still follow every word. A clear voice and steady pauses make long texts easier to follow."
)


def run(config: Config, slot, runs: int = 3, lengths=(3, 11), log: Callable[[str], None] = print) -> dict:
    """The remote part of the bench (a dict for the JSON report)."""
    from .dictate import build_utterances, data_dir

    server = _serve_if_local(config, log)
    try:
        stt_engines, speak_engines = _targets(config, server)
        data = data_dir()
        utterances = build_utterances(lengths, data) if data is not None else []
        dictation = [_dictation_row(config, slot, name, stt, utterances, runs, log) for name, stt in stt_engines]
        speak = [_speak_row(config, name, speak_cfg, runs, log) for name, speak_cfg in speak_engines]
    finally:
        if server is not None:
            server.stop()
    return {"available": True, "dictation": dictation, "speak": speak}


# --- what to measure -------------------------------------------------------------


def _serve_if_local(config: Config, log):
    """``sayso serve`` on loopback in this process when a part has no remote engine."""
    if config.stt.engine != "local" and config.speak.engine != "local":
        return None
    from ..serve.engines import LocalEngines
    from ..serve.server import Server

    log("remote: starting sayso serve on loopback (Wyoming and HTTP)")
    cfg = dataclasses.replace(
        config.serve, uri="tcp://127.0.0.1:0", http="http://127.0.0.1:0", allow_remote=False, api_key_file=""
    )
    engines = LocalEngines.load(
        config.stt, config.speak.voice, stt=config.stt.engine == "local", tts=config.speak.engine == "local"
    )
    return Server(cfg, engines).start()


def _targets(config: Config, server) -> tuple:
    """([(name, stt config)], [(name, speak config)]): local first, then the remote ones."""
    stt = [("local", config.stt)]
    speak = [("local", config.speak)]
    if config.stt.engine != "local":
        stt.append((f"{config.stt.engine} (configured)", config.stt))
    else:
        stt += [
            ("wyoming (sayso serve)", dataclasses.replace(config.stt, engine="wyoming", uri=server.uri)),
            (
                "openai (sayso serve)",
                dataclasses.replace(config.stt, engine="openai", base_url=server.http_url + "/v1"),
            ),
        ]
    if config.speak.engine != "local":
        speak.append((f"{config.speak.engine} (configured)", config.speak))
    else:
        speak += [
            ("wyoming (sayso serve)", dataclasses.replace(config.speak, engine="wyoming", uri=server.uri)),
            (
                "openai (sayso serve)",
                dataclasses.replace(config.speak, engine="openai", base_url=server.http_url + "/v1"),
            ),
        ]
    return [(n, dataclasses.replace(c, fallback="none")) for n, c in stt], speak


# --- dictation -------------------------------------------------------------------


def _dictation_row(config: Config, slot, name: str, stt, utterances: list, runs: int, log) -> dict:
    from ..dictate.dictation import RemoteStt
    from ..remote.factory import build_stt
    from .dictate import Rig, _summary

    cfg = dataclasses.replace(config, stt=stt)
    engine = build_stt(stt, stt) if stt.engine != "local" else None
    rig = Rig(cfg, slot, streaming=True, remote=RemoteStt(engine, "none") if engine is not None else None)
    rows = []
    try:
        rig.dictate(utterances[0].cut(0.3), realtime=False)  # connections and caches warm
        for utt in utterances:
            audio = utt.cut(0.3)
            samples = [rig.dictate(audio, realtime=True) for _ in range(runs)]
            summary = _summary(samples, utt.reference)
            log(f"  remote dictate {name} {utt.name}: release -> text p50 {summary['p50_ms']:.0f} ms")
            rows.append(
                {
                    "utterance": utt.name,
                    "audio_s": round(len(audio) / 16000, 2),
                    "statuses": sorted({s["status"] for s in samples}),
                    **summary,
                }
            )
    finally:
        rig.close()  # the remote engine with it
    return {"engine": name, "address": _address(stt), "results": rows}


def _address(cfg) -> str:
    return {"wyoming": getattr(cfg, "uri", ""), "openai": getattr(cfg, "base_url", "")}.get(cfg.engine, "in process")


# --- read aloud ------------------------------------------------------------------


def _speak_row(config: Config, name: str, speak, runs: int, log) -> dict:
    from ..speak.reader import ReadAloud, ReadAloudSettings
    from .system import _load_script

    module = _load_script("bench_speak")
    if module is None or not hasattr(module, "ClockedNullOutput"):
        return {"engine": name, "available": False, "reason": "scripts/bench_speak.py not found"}
    cfg = dataclasses.replace(config, speak=dataclasses.replace(speak, engine_fallback="none"))
    reader = ReadAloud(
        ReadAloudSettings.of(cfg),
        stream_factory=module.ClockedNullOutput,
        state_file=Path("/nonexistent/sayso-bench.json"),
    )
    reader.rate = 1.0
    try:
        reader.load()
        firsts = [_first_audio(reader) for _ in range(max(1, runs))]
    finally:
        reader.close()
    ms = sorted(round(f * 1000, 1) for f in firsts)
    log(f"  remote speak {name}: first audio p50 {ms[len(ms) // 2]:.0f} ms")
    return {
        "engine": name,
        "available": True,
        "address": _address(speak),
        "first_audio_p50_ms": ms[len(ms) // 2],
        "first_audio_max_ms": ms[-1],
        "samples_ms": ms,
    }


def _first_audio(reader) -> float:
    start = time.perf_counter()
    reader.speak_text(SPEAK_TEXT)
    if not reader._session.player.first_audio.wait(60):
        raise TimeoutError("no audio within 60 s")
    first = time.perf_counter() - start
    reader.stop(join_s=10.0)
    return first


def format_lines(report: Optional[dict]) -> list:
    if report is None:
        return []
    lines = ["", "Remote engines on loopback, key release -> text (fed at real-time pace; 300 ms after the last word):"]
    for row in report["dictation"]:
        for r in row["results"]:
            lines.append(
                f"  {row['engine']:<24}{r['utterance']:<6}({r['audio_s']:.1f}s)  p50 {r['p50_ms']:>7.0f} ms"
                f"  p95 {r['p95_ms']:>7.0f} ms  WER {r['wer'] * 100 if r['wer'] is not None else float('nan'):.1f} %"
                + ("" if r["statuses"] == ["typed"] else f"  ({', '.join(r['statuses'])})")
            )
    lines.append("Remote engines on loopback, read aloud: time to first audio")
    for row in report["speak"]:
        if not row.get("available"):
            lines.append(f"  {row['engine']:<24}not available ({row.get('reason')})")
            continue
        lines.append(
            f"  {row['engine']:<24}p50 {row['first_audio_p50_ms']:>7.0f} ms  max {row['first_audio_max_ms']:>7.0f} ms"
        )
    return lines
