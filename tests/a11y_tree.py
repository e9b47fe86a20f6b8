"""What a screen reader sees: the AT-SPI tree of the desktop's applications, as JSON.

Run with the system Python (Debian's python3-gi and gir1.2-atspi-2.0), not the
venv's: ``/usr/bin/python3 tests/a11y_tree.py [APP_NAME]`` inside the session
bus of the display. Prints one JSON list of nodes (depth-first): role, name,
description, states and the path of child indexes from the application.
"""

from __future__ import annotations

import json
import sys

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402

STATES = ("focusable", "focused", "showing", "visible", "enabled", "sensitive", "checked", "editable")


def node(acc, path: list) -> dict:
    states = acc.get_state_set()
    return {
        "path": path,
        "role": acc.get_role_name(),
        "name": acc.get_name() or "",
        "description": acc.get_description() or "",
        "states": [s for s in STATES if states.contains(getattr(Atspi.StateType, s.upper()))],
    }


def walk(acc, path: list, out: list, depth: int = 0) -> None:
    out.append(node(acc, path))
    if depth > 40:
        return
    for i in range(acc.get_child_count()):
        child = acc.get_child_at_index(i)
        if child is not None:
            walk(child, path + [i], out, depth + 1)


def main(argv: list) -> int:
    want = argv[1] if len(argv) > 1 else ""
    desktop = Atspi.get_desktop(0)
    out: list = []
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        if app is None or (want and app.get_name() != want):
            continue
        walk(app, [i], out)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
