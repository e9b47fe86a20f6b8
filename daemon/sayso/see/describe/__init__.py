"""Describing pictures: ``base`` (the prompt and the interface), ``openai_vision``
(an OpenAI-compatible server's chat completions with the image), ``llama_vision``
(a local GGUF with its projector through llama-cpp-python), ``choose``."""
