"""Remote speech engines (Wyoming, OpenAI-compatible): clients of :mod:`sayso.core.interfaces`.

* :mod:`.wyoming_stt`, :mod:`.wyoming_tts`: Wyoming clients (with :mod:`.wyoming_io`, :mod:`.aio`).
* :mod:`.openai_stt`, :mod:`.openai_tts`: OpenAI-compatible HTTP clients (with :mod:`.openai_http`).
* :mod:`.session`: the streaming session over a whole-recording engine.
* :mod:`.factory`: the backend of the config (chosen by :func:`sayso.core.config_remote.choose_stt`
  / ``choose_tts``, pure functions of the config and what is installed); :mod:`.attach`: the
  remote voice for read-aloud.

Which addresses may be used is :mod:`sayso.core.endpoints`; the config sections are
:mod:`sayso.core.config_remote`; the errors are in :mod:`sayso.core.errors`; ``sayso serve``
is :mod:`sayso.serve`. Nothing here is imported by ``import sayso``; each backend imports
its libraries (``wyoming``) only when it is used.
"""
