"""Objects we export on D-Bus: interfaces described by tables of methods,
read-only properties and signals, with their introspection XML.

:class:`sayso.desktop.portal.bus.Bus` dispatches incoming calls to these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable
from xml.sax.saxutils import quoteattr

PROPS = "org.freedesktop.DBus.Properties"
INTROSPECTABLE = "org.freedesktop.DBus.Introspectable"
INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"


class MethodError(Exception):
    """Raised by an exported method to answer with a D-Bus error."""

    def __init__(self, name: str, text: str = "") -> None:
        super().__init__(text or name)
        self.name, self.text = name, text


@dataclass
class Method:
    in_sig: str
    out_sig: str
    fn: Callable  # fn(msg, *args) -> tuple of out values (or None for no values)
    after: bool = False  # fn returns (values, callable run after the reply is sent)


@dataclass
class Interface:
    name: str
    methods: dict = field(default_factory=dict)  # name -> Method
    properties: dict = field(default_factory=dict)  # name -> (signature, getter)
    signals: dict = field(default_factory=dict)  # name -> signature


class Exported:
    """An object on the bus: interfaces with methods and read-only properties."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.interfaces: dict = {}

    def add(self, iface: Interface) -> Interface:
        self.interfaces[iface.name] = iface
        return iface

    def properties(self, iface_name: str) -> dict:
        iface = self.interfaces.get(iface_name)
        if iface is None:
            raise MethodError(INVALID_ARGS, f"No such interface {iface_name!r}")
        return {name: (sig, getter()) for name, (sig, getter) in iface.properties.items()}

    def introspect(self, children: list) -> str:
        parts = [
            '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"',
            ' "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">',
            "<node>",
            f'<interface name="{INTROSPECTABLE}"><method name="Introspect">'
            '<arg type="s" direction="out"/></method></interface>',
            f'<interface name="{PROPS}"><method name="Get"><arg type="s" direction="in"/>'
            '<arg type="s" direction="in"/><arg type="v" direction="out"/></method>'
            '<method name="GetAll"><arg type="s" direction="in"/><arg type="a{sv}" direction="out"/>'
            '</method><signal name="PropertiesChanged"><arg type="s"/><arg type="a{sv}"/><arg type="as"/>'
            "</signal></interface>",
        ]
        for iface in self.interfaces.values():
            parts.append(f"<interface name={quoteattr(iface.name)}>")
            for name, method in iface.methods.items():
                args = _sig_args(method.in_sig, "in") + _sig_args(method.out_sig, "out")
                parts.append(f"<method name={quoteattr(name)}>{args}</method>")
            for name, (sig, _getter) in iface.properties.items():
                parts.append(f'<property name={quoteattr(name)} type={quoteattr(sig)} access="read"/>')
            for name, sig in iface.signals.items():
                parts.append(f"<signal name={quoteattr(name)}>{_sig_args(sig, '')}</signal>")
            parts.append("</interface>")
        parts += [f"<node name={quoteattr(child)}/>" for child in children]
        parts.append("</node>")
        return "".join(parts)


def split_signature(sig: str) -> list:
    """Split a D-Bus signature into its complete types: ``"sa{sv}i"`` -> ``["s", "a{sv}", "i"]``."""
    out, i = [], 0
    while i < len(sig):
        j = _type_end(sig, i)
        out.append(sig[i:j])
        i = j
    return out


def _type_end(sig: str, i: int) -> int:
    ch = sig[i]
    if ch == "a":
        return _type_end(sig, i + 1)
    if ch in "({":
        depth, j = 0, i
        while True:
            if sig[j] in "({":
                depth += 1
            elif sig[j] in ")}":
                depth -= 1
                if depth == 0:
                    return j + 1
            j += 1
    return i + 1


def _sig_args(sig: str, direction: str) -> str:
    attr = f' direction="{direction}"' if direction else ""
    return "".join(f"<arg type={quoteattr(t)}{attr}/>" for t in split_signature(sig))
