"""Desktop feedback: notifications (D-Bus) and log fallback.

``Notifier.notify`` never raises: feedback must not break a pipeline.
Bodies may hold the user's text, so they are logged only at debug level.
"""

from __future__ import annotations

import logging

_LOGGER = logging.getLogger(__name__)


class Notifier:
    """Logs notices; subclasses also show them on the desktop."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.sent: list = []  # (summary, urgency) of recent notices, for status

    def notify(self, summary: str, body: str = "", *, urgency: str = "normal", log_as: str = "") -> None:
        """Show a notice; the log gets *log_as* instead of *summary* when the summary quotes the user's text."""
        level = logging.WARNING if urgency == "critical" else logging.INFO
        _LOGGER.log(level, "%s", log_as or summary)
        if body:
            _LOGGER.debug("notice body: %s", body)
        self.sent = (self.sent + [(summary, urgency)])[-20:]
        if self.enabled:
            try:
                self._show(summary, body, urgency)
            except Exception as err:  # never let feedback break a pipeline
                _LOGGER.debug("Desktop notification failed: %s", err)

    def _show(self, summary: str, body: str, urgency: str) -> None:
        """Show on the desktop; the base class only logs."""

    def cue(self, name: str) -> None:
        """A short sound for "start", "stop" or "error"; never blocks or raises."""

    def close(self) -> None:
        """Release the desktop connection (daemon shutdown)."""
