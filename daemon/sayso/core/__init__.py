"""The base layer: errors, config types and loader, paths, chords, engine interfaces, memory,
downloads, PCM. Imports nothing else of sayso."""
