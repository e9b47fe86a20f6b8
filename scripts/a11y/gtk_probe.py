import gi, sys

gi.require_version("Gtk", "4.0")
from gi.repository import Gtk, GLib


def on_activate(app):
    w = Gtk.ApplicationWindow(application=app, title="probe")
    box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL)
    box.append(Gtk.Label(label="Hotkey"))
    e = Gtk.Entry()
    box.append(e)
    box.append(Gtk.Button(label="Check again"))
    box.append(Gtk.CheckButton(label="Remove fillers"))
    d = Gtk.DropDown.new_from_strings(["auto", "hold", "toggle"])
    box.append(d)
    s = Gtk.SpinButton.new_with_range(0, 10, 0.1)
    box.append(s)
    lv = Gtk.LevelBar()
    lv.set_value(0.3)
    box.append(lv)
    sw = Gtk.Switch()
    box.append(sw)
    w.set_child(box)
    w.present()
    GLib.timeout_add_seconds(int(sys.argv[1]) if len(sys.argv) > 1 else 8, app.quit)


app = Gtk.Application(application_id="org.sayso.Probe")
app.connect("activate", on_activate)
app.run([])
