"""``sayso serve``: the local engines offered over Wyoming and an OpenAI-compatible HTTP API."""
