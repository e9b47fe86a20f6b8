"""What the control commands see of the app: a narrow, typed view.

:class:`sayso.app.daemon.Daemon` is one; the tests pass stand-ins. The
commands reach the app only through these attributes (and run its actions
through :meth:`ControlledApp.run_action`, the one registry's ``run``).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Protocol

from ..core.config_types import Config


class ControlledApp(Protocol):
    config: Config
    config_path: Optional[str]
    env: Mapping[str, str]
    session: str
    actions: Mapping[str, Callable[[], object]]
    dictation: Any  # recording, busy, last_error, stop()
    stt: Any  # a model slot: ready
    speak: Optional[Any]  # status(), or None without read-aloud
    rewrite: Optional[Any]  # status(), or None without rewrite
    listener: Optional[Any]  # name, bound()
    output: Optional[Any]  # methods()
    notifier: Optional[Any]  # enabled, backend, sent
    clipboard: Optional[Any]  # name
    control: Optional[Any]  # the control server, once started
    history: Any  # as_list()
    desktop: Any  # publisher (status watch)

    def run_action(self, name: str, background: bool = False) -> object: ...

    def reload(self) -> bool: ...

    def forget_history(self, times: Optional[list]) -> int: ...
