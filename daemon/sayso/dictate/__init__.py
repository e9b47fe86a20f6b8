"""The dictation pipeline: record, transcribe (whole or streaming), post-process, type; history."""
