"""The ``llama`` describe engine: a local vision GGUF and its projector through llama-cpp-python.

``see.model`` is the language model, ``see.projector`` its ``mmproj`` (CLIP)
file, ``see.chat_format`` the chat handler the model was trained with; or
``see.model`` names a pulled catalog model (:mod:`.models`), which brings
the other two. Both
files are checked (they exist, they start with the GGUF magic) before
llama-cpp-python sees them, and every failure is one line. The model loads on
first use and stays loaded until :meth:`close`.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from ...core.config_see import SeeConfig
from ...core.errors import EngineError, ModelError
from .base import clean, data_url, messages, prompt_of, tokens_of
from .models import VisionFiles, describe_missing, resolve_vision

if TYPE_CHECKING:  # pragma: no cover
    from PIL.Image import Image

_LOGGER = logging.getLogger(__name__)

#: see.chat_format -> llama_cpp.llama_chat_format's handler class
HANDLERS = {
    "llava-1-5": "Llava15ChatHandler",
    "llava-1-6": "Llava16ChatHandler",
    "moondream": "MoondreamChatHandler",
    "nanollava": "NanoLlavaChatHandler",
    "llama-3-vision-alpha": "Llama3VisionAlphaChatHandler",
    "minicpm-v-2.6": "MiniCPMv26ChatHandler",
    "qwen2.5-vl": "Qwen25VLChatHandler",
    "mtmd": "MTMDChatHandler",  # llama.cpp's mtmd with the chat template inside the GGUF (SmolVLM)
}


def check_gguf(spec: str, key: str) -> Path:
    """The file *spec* names, if it is a GGUF; ModelError (one line) otherwise."""
    if not spec.strip():
        raise ModelError(f"set {key}: the llama describe engine needs a vision GGUF and its projector (docs/see.md)")
    path = Path(spec).expanduser()
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except FileNotFoundError:
        raise ModelError(f"{key}: {path} not found") from None
    except IsADirectoryError:
        raise ModelError(f"{key}: {path} is a directory, not a GGUF file") from None
    except OSError as err:
        raise ModelError(f"{key}: cannot read {path}: {err.strerror or err}") from None
    if magic != b"GGUF":
        raise ModelError(f"{key}: {path.name} is not a GGUF file (corrupt or incomplete download?)")
    return path


class LlamaVision:
    name = "llama"

    def __init__(self, cfg: SeeConfig) -> None:
        self.cfg = cfg
        self._llm = None
        self._names = ("", "")
        self._lock = threading.Lock()

    def files(self) -> Optional[VisionFiles]:
        return resolve_vision(self.cfg.model, self.cfg.projector, self.cfg.chat_format)

    def available(self) -> bool:
        files = self.files()
        return files is not None and files.model.is_file() and files.projector.is_file()

    def _ensure(self):
        if self._llm is not None:
            return self._llm
        files = self.files()
        if files is None:
            raise ModelError(describe_missing(self.cfg.model))
        model = check_gguf(str(files.model), "see.model")
        projector = check_gguf(str(files.projector), "see.projector")
        self._names = (model.name, projector.name)
        try:
            from llama_cpp import Llama, llama_chat_format
        except ImportError:
            raise EngineError("the llama describe engine needs the PyPI package llama-cpp-python") from None
        handler_class = getattr(llama_chat_format, HANDLERS[files.chat_format], None)
        if handler_class is None:
            raise EngineError(f"this llama-cpp-python has no {files.chat_format} chat handler (see.chat_format)")
        started = time.monotonic()
        try:
            handler = handler_class(clip_model_path=str(projector), verbose=False)
            self._llm = Llama(model_path=str(model), chat_handler=handler, n_ctx=4096, verbose=False)
        except (ValueError, RuntimeError, OSError, AssertionError) as err:
            problem = _one_line(err)
            raise ModelError(f"cannot load the vision model {model.name} with {projector.name}: {problem}") from None
        _LOGGER.info("Loaded vision model %s in %.1f s", model.name, time.monotonic() - started)
        return self._llm

    def describe(self, image: Image, details: bool = False) -> str:
        with self._lock:
            llm = self._ensure()
            try:
                answer = llm.create_chat_completion(
                    messages=messages(prompt_of(self.cfg.prompt, details), data_url(image, self.cfg.max_side)),
                    max_tokens=tokens_of(self.cfg.max_tokens, details),
                    temperature=0.2,
                )
            except (ValueError, RuntimeError) as err:
                if "failed to load" in str(err).lower():  # the projector loads on the first image
                    self._llm = None
                    raise ModelError(
                        f"see.projector: cannot load {self._names[1]} as a vision projector"
                        f" for {self._names[0]} (is it the model's mmproj file?)"
                    ) from None
                raise EngineError(f"the vision model failed: {_one_line(err)}") from None
        try:
            text = clean(answer["choices"][0]["message"]["content"] or "")
        except (KeyError, IndexError, TypeError):
            raise EngineError("the vision model returned no answer") from None
        if not text:
            raise EngineError("the vision model returned an empty description")
        return text

    def close(self) -> None:
        with self._lock:
            llm, self._llm = self._llm, None
        if llm is not None and hasattr(llm, "close"):
            llm.close()


def _one_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__
