"""Desktop integration without root-level setup (issue 13).

- :mod:`.shortcuts`: global hotkeys through the GlobalShortcuts portal
  (press *and* release, so hold-to-talk works); :mod:`.listener` puts it
  behind the daemon's listener interface (``hotkeys.backend = "portal"``).
- :mod:`.remote`: typing and paste chords through the RemoteDesktop portal,
  consent kept with its restore token.
- :mod:`.state`: what sayso is doing, published to subscribers;
  :mod:`.statusline`: ``sayso ctl status --watch`` (stream and formats for
  waybar, polybar, i3blocks).
- :mod:`.tray`: the StatusNotifierItem tray icon with its dbusmenu menu.
- :mod:`.indicator`: the X11/XWayland recording window that never takes
  the focus.
- :mod:`.bus` / :mod:`.xdp` / :mod:`.keys`: the D-Bus (jeepney), portal
  request and key-name plumbing under them.

These import only :mod:`sayso.core` (``HotkeyError``, paths); the app wires them in
(:mod:`sayso.app.desktop_link`, :mod:`sayso.desktop.keys.listener`,
:mod:`sayso.desktop.output`, :mod:`sayso.control.commands`).
"""
