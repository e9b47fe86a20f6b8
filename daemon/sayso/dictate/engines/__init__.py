"""Speech-to-text backends (interfaces in :mod:`sayso.core.interfaces`); faster-whisper is the local one."""
