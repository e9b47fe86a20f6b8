"""Audio in and out: capture (microphone), playback, voice activity detection. Imports only sayso.core."""
