"""The rewrite pipeline: copy the selection, transform it with an engine, guard the result, paste, undo."""
