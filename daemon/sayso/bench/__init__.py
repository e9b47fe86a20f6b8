"""``sayso bench``: dictation, rewrite, remote and system benchmarks, scoring. A leaf."""
