"""Remote speech engines (Wyoming, OpenAI-compatible) and ``sayso serve``.

* :mod:`.interfaces`: the engine interfaces (speech to text, streaming
  session, text to speech) the rest of sayso uses.
* :mod:`.wyoming_stt`, :mod:`.wyoming_tts`: Wyoming clients.
* :mod:`.openai_stt`, :mod:`.openai_tts`: OpenAI-compatible HTTP clients.
* :mod:`.security`: which addresses may be used (loopback unless allowed).
* :mod:`.config`, :mod:`.factory`: config sections and the backend choice.
* :mod:`.serve` (with :mod:`.serve_wyoming`, :mod:`.serve_http`,
  :mod:`.serve_engines`): ``sayso serve``.

Nothing here is imported by ``import sayso``; each backend imports its
libraries (``wyoming``) only when it is used.
"""
