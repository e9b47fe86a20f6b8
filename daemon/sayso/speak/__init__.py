"""The read-aloud pipeline: text preparation (markup, normalisation, sentences), voices, playback."""
