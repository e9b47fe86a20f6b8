"""``sayso settings``: the settings window (Qt 6) and its config store."""
