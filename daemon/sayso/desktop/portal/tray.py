"""The tray icon: a StatusNotifierItem with a dbusmenu menu, over jeepney.

Shown by KDE Plasma, waybar's ``tray`` module, GNOME with the AppIndicator
extension and any other StatusNotifierHost.  The icon follows the state
(:mod:`sayso.desktop.portal.state`); the menu runs daemon actions by name through
one callback, the same registry the hotkeys use.  If the watcher
(``org.kde.StatusNotifierWatcher``) starts after us, or restarts, we
register again.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import Callable, Optional

from jeepney import MatchRule

from .bus import INVALID_ARGS, Bus, BusError, Exported, Interface, Method, MethodError, session_bus_address
from .icons import pixmaps
from .state import State, Status

_LOGGER = logging.getLogger(__name__)

WATCHER = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
ITEM_IFACE = "org.kde.StatusNotifierItem"
ITEM_PATH = "/StatusNotifierItem"
MENU_IFACE = "com.canonical.dbusmenu"
MENU_PATH = "/MenuBar"

#: freedesktop icon names per state (Icon Naming Specification names, in every common theme)
ICONS = {
    State.IDLE: "audio-input-microphone",
    State.RECORDING: "media-record",
    State.TRANSCRIBING: "view-refresh",
    State.READING: "audio-volume-high",
    State.REWRITING: "edit-find-replace",
    State.ERROR: "dialog-error",
    State.PAUSED: "media-playback-pause",
}
_DESCRIPTIONS = {
    State.IDLE: "ready",
    State.RECORDING: "recording",
    State.TRANSCRIBING: "transcribing",
    State.READING: "reading aloud",
    State.REWRITING: "rewriting",
    State.ERROR: "error",
    State.PAUSED: "hotkeys paused",
}


@dataclass(frozen=True)
class MenuItem:
    label: str = ""
    action: str = ""  # the daemon action run on click; "" for a separator
    toggle: bool = False  # a checkbox (pause)

    @property
    def separator(self) -> bool:
        return not self.action


def default_menu(rewrite_actions: list) -> list:
    """Dictate, read selection, stop, the rewrite actions, undo, pause, quit.

    *rewrite_actions*: names (``fix``, ``formal``...) or (label, name) pairs.
    """
    items = [
        MenuItem("Dictate (start/stop)", "dictate.toggle"),
        MenuItem("Read selection aloud", "speak.selection"),
        MenuItem("Stop", "stop"),
        MenuItem(),
    ]
    for entry in rewrite_actions:
        label, name = entry if isinstance(entry, tuple) else (f"Rewrite: {entry}", entry)
        items.append(MenuItem(label, name if name.startswith("rewrite.") else f"rewrite.{name}"))
    if rewrite_actions:
        items.append(MenuItem())
    items += [
        MenuItem("Undo rewrite", "undo"),
        MenuItem("Pause hotkeys", "pause", toggle=True),
        MenuItem("Settings…", "settings"),
        MenuItem(),
        MenuItem("Quit sayso", "quit"),
    ]
    return items


class Tray:
    """The icon and its menu; :meth:`set_status` (or a publisher subscription) updates it."""

    def __init__(
        self,
        run_action: Callable[[str], None],
        rewrite_actions: Optional[list] = None,
        env=os.environ,
        menu: Optional[list] = None,
        title: str = "sayso",
    ) -> None:
        self.run_action = run_action
        self.env = env
        self.title = title
        self.items = menu if menu is not None else default_menu(list(rewrite_actions or []))
        self.status = Status()
        self.paused = False
        self.registered = False
        self.revision = 1
        self.bus: Optional[Bus] = None
        self.name = f"org.kde.StatusNotifierItem-{os.getpid()}-1"
        self._lock = threading.Lock()

    @staticmethod
    def is_available(env=os.environ) -> Optional[str]:
        """None when a tray host's watcher is on the session bus, else why not."""
        address = session_bus_address(env)
        if not address:
            return "no session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
        try:
            bus = Bus(address, "tray-check")
        except BusError as err:
            return f"no session bus ({err})"
        try:
            if not bus.has_owner(WATCHER):
                return "no tray (no StatusNotifierWatcher: no tray host such as waybar's tray, KDE or the GNOME AppIndicator extension runs)"  # noqa: E501  (one message, kept greppable)
            return None
        finally:
            bus.close()

    # --- lifecycle -----------------------------------------------------------
    def start(self) -> None:
        """Export the item and its menu and register; a missing watcher is not an error (we wait for it)."""
        address = session_bus_address(self.env)
        if not address:
            raise BusError("no session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
        bus = Bus(address, "tray")
        try:
            bus.export(self._item_object())
            bus.export(self._menu_object())
            bus.request_name(self.name)
            rule = MatchRule(
                type="signal",
                sender="org.freedesktop.DBus",
                interface="org.freedesktop.DBus",
                member="NameOwnerChanged",
                path="/org/freedesktop/DBus",
            )
            rule.add_arg_condition(0, WATCHER)
            bus.subscribe(rule, self._on_watcher_changed)
        except BaseException:
            bus.close()
            raise
        self.bus = bus
        self.register()

    def register(self) -> bool:
        bus = self.bus
        if bus is None:
            return False
        try:
            bus.call(WATCHER, WATCHER_PATH, WATCHER, "RegisterStatusNotifierItem", "s", (self.name,))
        except BusError as err:
            _LOGGER.info("Tray icon not shown yet: %s", err)
            self.registered = False
            return False
        self.registered = True
        _LOGGER.info("Tray icon registered")
        return True

    def _on_watcher_changed(self, msg) -> None:
        _name, _old, new = msg.body
        if new:
            threading.Thread(target=self.register, daemon=True, name="tray-register").start()
        else:
            self.registered = False

    def stop(self) -> None:
        bus, self.bus = self.bus, None
        if bus is not None:
            bus.close()
        self.registered = False

    # --- state ---------------------------------------------------------------
    def set_status(self, status: Status) -> None:
        """Show *status* (the publisher's subscriber callback)."""
        with self._lock:
            old, self.status = self.status, status
            self.paused = status.state == State.PAUSED
        bus = self.bus
        if bus is None or old.state == status.state and old.message == status.message:
            return
        for signal in ("NewIcon", "NewAttentionIcon", "NewToolTip", "NewTitle"):
            bus.emit(ITEM_PATH, ITEM_IFACE, signal)
        bus.emit(ITEM_PATH, ITEM_IFACE, "NewStatus", "s", (self._sni_status(),))
        if (old.state == State.PAUSED) != self.paused:
            pause = [i for i, item in enumerate(self.items, 1) if item.action == "pause"]
            if pause:
                props = {"toggle-state": ("i", int(self.paused))}
                bus.emit(MENU_PATH, MENU_IFACE, "ItemsPropertiesUpdated", "a(ia{sv})a(ias)", ([(pause[0], props)], []))

    def icon_name(self) -> str:
        return ICONS.get(self.status.state, ICONS[State.IDLE])

    def _sni_status(self) -> str:
        return "NeedsAttention" if self.status.state in (State.RECORDING, State.ERROR) else "Active"

    def _tooltip(self) -> tuple:
        text = _DESCRIPTIONS.get(self.status.state, self.status.state.value)
        if self.status.state == State.RECORDING:
            text += f" ({int(self.status.elapsed())} s)"
        if self.status.message:
            text += f": {self.status.message}"
        return (self.icon_name(), pixmaps(self.status.state)[:1], self.title, text)

    # --- the StatusNotifierItem ---------------------------------------------
    def _item_object(self) -> Exported:
        obj = Exported(ITEM_PATH)
        activate = lambda msg, x, y: self._click("dictate.toggle")  # noqa: E731  (left click)
        ignore = lambda msg, *args: ()  # noqa: E731
        obj.add(
            Interface(
                ITEM_IFACE,
                methods={
                    "Activate": Method("ii", "", activate),
                    "SecondaryActivate": Method("ii", "", ignore),
                    "ContextMenu": Method("ii", "", ignore),
                    "Scroll": Method("is", "", ignore),
                },
                properties={
                    "Category": ("s", lambda: "ApplicationStatus"),
                    "Id": ("s", lambda: "sayso"),
                    "Title": ("s", lambda: self.title),
                    "Status": ("s", self._sni_status),
                    "WindowId": ("i", lambda: 0),
                    "IconName": ("s", self.icon_name),
                    "IconPixmap": ("a(iiay)", lambda: pixmaps(self.status.state)),
                    "OverlayIconName": ("s", lambda: ""),
                    "OverlayIconPixmap": ("a(iiay)", lambda: []),
                    "AttentionIconName": ("s", self.icon_name),
                    "AttentionIconPixmap": ("a(iiay)", lambda: pixmaps(self.status.state)),
                    "AttentionMovieName": ("s", lambda: ""),
                    "IconThemePath": ("s", lambda: ""),
                    "ToolTip": ("(sa(iiay)ss)", self._tooltip),
                    "ItemIsMenu": ("b", lambda: False),
                    "Menu": ("o", lambda: MENU_PATH),
                },
                signals={
                    "NewTitle": "",
                    "NewIcon": "",
                    "NewAttentionIcon": "",
                    "NewOverlayIcon": "",
                    "NewToolTip": "",
                    "NewStatus": "s",
                },
            )
        )
        return obj

    # --- the dbusmenu --------------------------------------------------------
    def _menu_object(self) -> Exported:
        obj = Exported(MENU_PATH)
        obj.add(
            Interface(
                MENU_IFACE,
                methods={
                    "GetLayout": Method("iias", "u(ia{sv}av)", self._get_layout),
                    "GetGroupProperties": Method("aias", "a(ia{sv})", self._get_group_properties),
                    "GetProperty": Method("is", "v", self._get_property),
                    "Event": Method("isvu", "", self._event),
                    "EventGroup": Method("a(isvu)", "ai", self._event_group),
                    "AboutToShow": Method("i", "b", lambda msg, item_id: (False,)),
                    "AboutToShowGroup": Method(
                        "ai", "aiai", lambda msg, ids: ([], [i for i in ids if not self._known(i)])
                    ),
                },
                properties={
                    "Version": ("u", lambda: 3),
                    "TextDirection": ("s", lambda: "ltr"),
                    "Status": ("s", lambda: "normal"),
                    "IconThemePath": ("as", lambda: []),
                },
                signals={
                    "ItemsPropertiesUpdated": "a(ia{sv})a(ias)",
                    "LayoutUpdated": "ui",
                    "ItemActivationRequested": "iu",
                },
            )
        )
        return obj

    def _known(self, item_id: int) -> bool:
        return 0 <= item_id <= len(self.items)

    def _props(self, item_id: int, names: list) -> dict:
        if item_id == 0:
            props = {"children-display": ("s", "submenu")}
        else:
            item = self.items[item_id - 1]
            if item.separator:
                props = {"type": ("s", "separator")}
            else:
                props = {"label": ("s", item.label), "enabled": ("b", True), "visible": ("b", True)}
                if item.toggle:
                    props.update({"toggle-type": ("s", "checkmark"), "toggle-state": ("i", int(self.paused))})
        return {k: v for k, v in props.items() if not names or k in names}

    def _layout(self, item_id: int, depth: int, names: list) -> tuple:
        children = []
        if item_id == 0 and depth != 0:
            children = [("(ia{sv}av)", self._layout(i, depth - 1, names)) for i in range(1, len(self.items) + 1)]
        return (item_id, self._props(item_id, names), children)

    def _get_layout(self, msg, parent_id: int, depth: int, names: list) -> tuple:
        if not self._known(parent_id):
            raise MethodError(INVALID_ARGS, f"no menu item {parent_id}")
        return (self.revision, self._layout(parent_id, depth, list(names)))

    def _get_group_properties(self, msg, ids: list, names: list) -> tuple:
        wanted = ids or range(0, len(self.items) + 1)
        return ([(i, self._props(i, list(names))) for i in wanted if self._known(i)],)

    def _get_property(self, msg, item_id: int, name: str) -> tuple:
        props = self._props(item_id, [name]) if self._known(item_id) else {}
        if name not in props:
            raise MethodError(INVALID_ARGS, f"no property {name!r} on menu item {item_id}")
        return (props[name],)

    def _event(self, msg, item_id: int, event_id: str, data, timestamp: int) -> tuple:
        if event_id == "clicked" and 0 < item_id <= len(self.items) and not self.items[item_id - 1].separator:
            self._click(self.items[item_id - 1].action)
        return ()

    def _event_group(self, msg, events: list) -> tuple:
        errors = []
        for item_id, event_id, data, timestamp in events:
            if self._known(item_id):
                self._event(msg, item_id, event_id, data, timestamp)
            else:
                errors.append(item_id)
        return (errors,)

    def _click(self, action: str) -> tuple:
        """Run the action on its own thread: a rewrite must not hold up the menu."""
        _LOGGER.info("Tray: %s", action)
        threading.Thread(target=self._run, args=(action,), daemon=True, name=f"tray-{action}").start()
        return ()

    def _run(self, action: str) -> None:
        try:
            self.run_action(action)
        except Exception as err:
            _LOGGER.error("Tray action %s failed: %s", action, err)
            _LOGGER.debug("Traceback", exc_info=True)
