"""Global hotkey listeners (X11 pynput, evdev); chosen by a factory in :mod:`.listener`."""
