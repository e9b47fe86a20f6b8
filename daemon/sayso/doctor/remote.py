"""``sayso doctor`` lines for the configured remote engines: reachable, what
the server offers (models or voices), the round-trip time of one describe."""

from __future__ import annotations

from ..remote.factory import describe_engines

FIX = {
    "stt": 'start the server, or check stt.uri / stt.base_url; stt.fallback = "local" keeps dictation working meanwhile',  # noqa: E501  (one message, kept greppable)
    "speak": 'start the server, or check speak.uri / speak.base_url; speak.engine_fallback = "local" reads with the local voice meanwhile',  # noqa: E501  (one message, kept greppable)
}


def remote_checks(ctx) -> list:
    """One Check per remote engine of *ctx*.config (none when both are local)."""
    from .base import FAIL, OK, WARN, Check

    cfg = ctx.config
    checks = []
    for section, info in describe_engines(cfg.stt, cfg.stt, cfg.speak):
        name = f"{section} remote"
        if not info.reachable:
            checks.append(Check(name, FAIL, f"{info.engine}: {info.error}", FIX[section]))
            continue
        wanted = cfg.stt.remote_model if section == "stt" else cfg.speak.remote_voice
        problem = info.error or (
            f"it does not list {wanted!r}" if wanted and info.models and wanted not in info.models else ""
        )
        detail = (
            f"{info.engine} at {info.address}: reachable, {info.rtt_ms:.0f} ms round trip; "
            f"{_offers(info.models, wanted, 'models' if section == 'stt' else 'voices')}"
            + ("; streaming" if info.streaming else "")
        )
        checks.append(Check(name, WARN if problem else OK, detail + (f"; {problem}" if problem else ""), FIX[section]))
    return checks


def _offers(names: list, wanted: str, what: str) -> str:
    """ "voices: a, b, c" or, for a long list, its size and whether the configured one is in it."""
    if not names:
        return f"{what}: not listed"
    if len(names) <= 6:
        return f"{what}: {', '.join(names)}"
    among = f", {wanted} among them" if wanted in names else ""
    return f"{len(names)} {what} ({', '.join(names[:3])}, ...{among})"
