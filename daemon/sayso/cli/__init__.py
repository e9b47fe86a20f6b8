"""The ``sayso`` command line. A leaf: nothing imports it but ``__main__``."""
