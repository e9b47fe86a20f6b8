"""The daemon: wires the desktop, the pipelines and the engines; the one action registry; systemd service."""
