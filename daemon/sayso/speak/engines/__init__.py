"""Text-to-speech backends: piper (local), the remote voice adapter."""
