"""Text in images: ``base`` (the interface), ``tesseract`` (one module per
backend), ``choose`` (which backend, a pure function of the config and what
is installed)."""
