"""A stand-in StatusNotifierWatcher (and a host that reads items), for tray tests.

``org.kde.StatusNotifierWatcher`` at ``/StatusNotifierWatcher`` as KDE's
StatusNotifierItem spec defines it: ``RegisterStatusNotifierItem(s)`` (a
bus name, or an object path on the caller's connection),
``RegisterStatusNotifierHost(s)``, the ``RegisteredStatusNotifierItems`` /
``IsStatusNotifierHostRegistered`` / ``ProtocolVersion`` properties and the
``StatusNotifierItemRegistered`` signal.  :class:`Host` is the other half
of a tray: it reads an item's properties, watches its signals and clicks
its dbusmenu items with ``Event(id, "clicked", ...)``, as a tray host does.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "daemon"))

from jeepney import HeaderFields, MatchRule  # noqa: E402

from sayso.desktop.portal.bus import Bus, Exported, Interface, Method  # noqa: E402

WATCHER = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"


class StandinWatcher:
    def __init__(self, address: str) -> None:
        self.bus = Bus(address, "watcher")
        self.items: list = []
        self.cond = threading.Condition()
        obj = Exported(WATCHER_PATH)
        obj.add(
            Interface(
                WATCHER,
                methods={
                    "RegisterStatusNotifierItem": Method("s", "", self._register_item),
                    "RegisterStatusNotifierHost": Method("s", "", lambda msg, name: ()),
                },
                properties={
                    "RegisteredStatusNotifierItems": ("as", lambda: list(self.items)),
                    "IsStatusNotifierHostRegistered": ("b", lambda: True),
                    "ProtocolVersion": ("i", lambda: 0),
                },
                signals={
                    "StatusNotifierItemRegistered": "s",
                    "StatusNotifierItemUnregistered": "s",
                    "StatusNotifierHostRegistered": "",
                },
            )
        )
        self.bus.export(obj)
        self.bus.request_name(WATCHER)

    def _register_item(self, msg, service: str) -> tuple:
        sender = msg.header.fields[HeaderFields.sender]
        item = f"{sender}{service}" if service.startswith("/") else f"{service}/StatusNotifierItem"
        with self.cond:
            if item not in self.items:
                self.items.append(item)
            self.cond.notify_all()
        self.bus.emit(WATCHER_PATH, WATCHER, "StatusNotifierItemRegistered", "s", (item,))
        return ()

    def wait_item(self, timeout: float = 5.0) -> str:
        with self.cond:
            assert self.cond.wait_for(lambda: self.items, timeout), "no item registered"
            return self.items[-1]

    def close(self) -> None:
        self.bus.close()


class Host:
    """Reads one item as a tray host would."""

    def __init__(self, address: str, item: str) -> None:
        self.bus = Bus(address, "host")
        self.service, _, path = item.partition("/")
        self.path = "/" + path
        self.signals: list = []
        self.cond = threading.Condition()
        self.bus.subscribe(MatchRule(type="signal", interface="org.kde.StatusNotifierItem"), self._on_signal)

    def _on_signal(self, msg) -> None:
        with self.cond:
            self.signals.append(msg.header.fields[HeaderFields.member])
            self.cond.notify_all()

    def wait_signal(self, name: str, timeout: float = 5.0) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: name in self.signals, timeout), self.signals

    def prop(self, name: str):
        return self.bus.get_property(self.service, self.path, "org.kde.StatusNotifierItem", name)

    def menu_path(self) -> str:
        return str(self.prop("Menu"))

    def layout(self) -> tuple:
        revision, layout = self.bus.call(
            self.service, self.menu_path(), "com.canonical.dbusmenu", "GetLayout", "iias", (0, -1, [])
        )
        return revision, layout

    def menu_labels(self) -> dict:
        """label -> item id (separators left out)."""
        _rev, (_root, _props, children) = self.layout()
        out = {}
        for _sig, (item_id, props, _kids) in children:
            if "label" in props:
                out[props["label"][1]] = item_id
        return out

    def click(self, item_id: int) -> None:
        self.bus.call(
            self.service, self.menu_path(), "com.canonical.dbusmenu", "Event", "isvu", (item_id, "clicked", ("i", 0), 0)
        )

    def close(self) -> None:
        self.bus.close()
