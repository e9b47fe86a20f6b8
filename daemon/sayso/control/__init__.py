"""The control socket: protocol, server, commands (``sayso ctl``)."""
