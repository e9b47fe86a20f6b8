"""The vision models of ``sayso models pull``: a language GGUF and its projector (mmproj), pulled together.

``see.model`` may be one of these names (then ``see.projector`` and
``see.chat_format`` come from the catalog), a path to a ``.gguf`` file (with
``see.projector`` a path too), or empty: the first catalog model pulled.
Files live beside the rewrite models (``$XDG_DATA_HOME/sayso/models``) and
come through :func:`sayso.core.downloads.fetch` (progress bar, resume,
sha256 checked, atomic).

Catalog values (revision, size, sha256) are Hugging Face LFS metadata for
the pinned revision. They were not fetched from the hub here (no network):
each was found in at least three independent public projects that pin the
same revision, size and sha256. No vision model was downloaded or run on the
machines sayso is developed on (docs/see.md).
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ...core.downloads import RemoteFile, fetch
from ...core.errors import ModelError
from ...core.paths import data_home


def models_dir(env: Optional[typing.Mapping[str, str]] = None) -> Path:
    """Where models are pulled (the rewrite models' folder, :func:`sayso.rewrite.models.models_dir`)."""
    import os

    return data_home(os.environ if env is None else env) / "sayso" / "models"


@dataclass(frozen=True)
class VisionModel:
    name: str
    label: str
    license: str
    chat_format: str  # see.chat_format: the llama-cpp-python chat handler
    model: RemoteFile
    projector: RemoteFile

    @property
    def size(self) -> int:
        return (self.model.size or 0) + (self.projector.size or 0)


def _hf(repo: str, revision: str, filename: str, size: int, sha256: str) -> RemoteFile:
    return RemoteFile(name=filename, repo_id=repo, filename=filename, revision=revision, size=size, sha256=sha256)


_SMOLVLM = ("ggml-org/SmolVLM-256M-Instruct-GGUF", "b9e4379657e1450d04d02eec8e345667265b0a00")
_QWEN_VL = ("ggml-org/Qwen2.5-VL-3B-Instruct-GGUF", "5037fcf163dd95d1e41d1974465f0898ed108ca2")

# In order of preference for ``see.model = ""``: the smallest first.
VISION_CATALOG = [
    VisionModel("smolvlm-256m", "SmolVLM 256M Instruct Q8_0 + mmproj Q8_0 (0.28 GB)", "Apache-2.0", "mtmd",
                _hf(*_SMOLVLM, "SmolVLM-256M-Instruct-Q8_0.gguf", 175_054_528,
                    "2a31195d3769c0b0fd0a4906201666108834848db768af11de1d2cef7cd35e65"),
                _hf(*_SMOLVLM, "mmproj-SmolVLM-256M-Instruct-Q8_0.gguf", 103_769_856,
                    "7e943f7c53f0382a6fc41b6ee0c2def63ba4fded9ab8ed039cc9e2ab905e0edd")),
    VisionModel("qwen2.5-vl-3b", "Qwen2.5-VL 3B Instruct Q4_K_M + mmproj Q8_0 (2.8 GB)",
                "Qwen Research (non-commercial)", "qwen2.5-vl",
                _hf(*_QWEN_VL, "Qwen2.5-VL-3B-Instruct-Q4_K_M.gguf", 1_929_901_056,
                    "d02fe9b69ad8cadbbd228e387667af66612c44bed29ffc8eb1e7caf9ac486c12"),
                _hf(*_QWEN_VL, "mmproj-Qwen2.5-VL-3B-Instruct-Q8_0.gguf", 844_757_728,
                    "980c9b2f78c04e6cff93d277ada09e768394f112d75db3b4e9dea8a69f9fb904")),
]  # fmt: skip
VISION_BY_NAME = {m.name: m for m in VISION_CATALOG}


@dataclass(frozen=True)
class VisionFiles:
    """What the llama describe engine loads."""

    model: Path
    projector: Path
    chat_format: str


def pulled(name: str, env: Optional[typing.Mapping[str, str]] = None) -> Optional[VisionFiles]:
    """The files of catalog model *name* where both are downloaded, else None."""
    entry = VISION_BY_NAME[name]
    folder = models_dir(env)
    model, projector = folder / entry.model.name, folder / entry.projector.name
    return VisionFiles(model, projector, entry.chat_format) if model.is_file() and projector.is_file() else None


def resolve_vision(
    model: str, projector: str, chat_format: str, env: Optional[typing.Mapping[str, str]] = None
) -> Optional[VisionFiles]:
    """The files ``see.model`` / ``see.projector`` name (a catalog name, paths, or "" for the first
    pulled); None when they are not there. It never downloads."""
    model = model.strip()
    if not model:
        return next((f for f in (pulled(name, env) for name in VISION_BY_NAME) if f is not None), None)
    if model in VISION_BY_NAME:
        return pulled(model, env)
    if not projector.strip():
        return None
    return VisionFiles(Path(model).expanduser(), Path(projector).expanduser(), chat_format)


def describe_missing(model: str) -> str:
    """A one-line reason why ``see.model`` does not resolve, with what to do."""
    if model in VISION_BY_NAME:
        return f"vision model '{model}' is not downloaded: run 'sayso models pull {model}'"
    names = ", ".join(VISION_BY_NAME)
    if not model.strip():
        return f"no vision model: run 'sayso models pull NAME' ({names}) or set see.model and see.projector"
    return f"see.model: {model} is not a vision catalog name ({names}); a path needs see.projector too"


def pull_vision(
    name: str,
    progress: bool = True,
    env: Optional[typing.Mapping[str, str]] = None,
    endpoint: Optional[str] = None,
) -> VisionFiles:
    """Download both files of *name* (sha256 checked). When one fails, the files this call
    downloaded are removed again (files that were there before stay), so a failed pull leaves
    no half model; a download cut short keeps its resumable part, as for any model."""
    entry = VISION_BY_NAME[name]
    folder = models_dir(env)
    fresh: list[Path] = []
    try:
        for remote in (entry.model, entry.projector):
            there = (folder / remote.name).is_file()
            path = fetch(remote, folder, progress=progress, endpoint=endpoint)
            if not there:
                fresh.append(path)
    except ModelError:
        for path in fresh:
            path.unlink(missing_ok=True)
        raise
    return VisionFiles(folder / entry.model.name, folder / entry.projector.name, entry.chat_format)
