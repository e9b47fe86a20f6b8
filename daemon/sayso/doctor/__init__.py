"""``sayso doctor``: checks of the machine and the config. A leaf."""
