"""The one action registry: name -> callable, the same for every way in.

The pipelines return their actions (``dictate.*``, ``speak.*``, ``rewrite.*``);
the app adds its own (``stop``, ``pause``, ``quit``). The hotkeys
(:meth:`sayso.app.daemon.Daemon.on_binding`), the control socket
(:mod:`sayso.control.commands`) and the tray menu all run them through
:meth:`ActionRegistry.run`.
"""

from __future__ import annotations

import threading
from typing import Callable, Dict, Mapping

from ..core.errors import SaysoError, run_logged

Action = Callable[[], object]


class ActionRegistry(Dict[str, Action]):
    """A dict of the named actions, with :meth:`add` (a pipeline's set) and :meth:`run`."""

    def add(self, actions: Mapping[str, Action]) -> None:
        self.update(actions)

    def run(self, name: str, background: bool = False) -> object:
        """Run action *name* now (its result), or on a thread of its own (None)."""
        fn = self.get(name)
        if fn is None:
            raise SaysoError(f"unknown action {name!r}")
        if not background:
            return fn()
        threading.Thread(target=run_logged, args=(fn, name), daemon=True, name=name).start()
        return None
