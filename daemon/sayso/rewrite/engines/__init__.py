"""Rewrite engines: harper (grammar), llama (local GGUF), openai (compatible server); chosen in :mod:`.base`."""
