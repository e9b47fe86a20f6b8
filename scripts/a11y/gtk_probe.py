"""GTK 4 probe of docs/architecture.md: a small form, read back with tests/a11y_tree.py (system python3)."""

import sys

import gi

gi.require_version("Gtk", "4.0")
from gi.repository import GLib, Gtk  # noqa: E402


def on_activate(app):
    window = Gtk.ApplicationWindow(application=app, title="probe")
    box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL)
    level = Gtk.LevelBar()
    level.set_value(0.3)
    for widget in (
        Gtk.Label(label="Hotkey"),
        Gtk.Entry(),
        Gtk.Button(label="Check again"),
        Gtk.CheckButton(label="Remove fillers"),
        Gtk.DropDown.new_from_strings(["auto", "hold", "toggle"]),
        Gtk.SpinButton.new_with_range(0, 10, 0.1),
        level,
        Gtk.Switch(),
    ):
        box.append(widget)
    window.set_child(box)
    window.present()
    GLib.timeout_add_seconds(int(sys.argv[1]) if len(sys.argv) > 1 else 8, app.quit)


app = Gtk.Application(application_id="org.sayso.Probe")
app.connect("activate", on_activate)
app.run([])
