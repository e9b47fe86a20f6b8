"""sayso: local dictation, read-aloud and rewrite on global hotkeys."""

__version__ = "0.1.0"
