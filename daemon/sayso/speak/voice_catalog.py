"""The catalog of downloadable piper voices and ``sayso voices pull``.

The catalog (``sayso/voices/catalog.toml``) lists voices from the
rhasspy/piper-voices repository with their files, sizes and checksums.
``pull`` downloads a voice's files into ``$XDG_DATA_HOME/sayso/voices/NAME/``
through :mod:`sayso.core.downloads` (progress bar, resume, atomic rename).  Files
with a sha256 are verified by it; files for which only piper's published
md5 is known are verified here against that md5 and their size.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Optional

from ..core import downloads
from ..core.config import Where, from_dict
from ..core.errors import ConfigError, ModelError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

log = logging.getLogger(__name__)


@dataclass
class CatalogFile:
    name: str = ""
    url: str = ""
    size: int = 0
    sha256: str = ""
    md5: str = ""


@dataclass
class CatalogVoice:
    language: str = ""
    quality: str = ""
    description: str = ""
    speakers: int = 1
    files: list[CatalogFile] = field(default_factory=list)
    name: str = field(default="", compare=False)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass
class _CatalogDoc:
    voices: dict[str, CatalogVoice] = field(default_factory=dict)


_HEX = {"sha256": 64, "md5": 32}


def _check(voice: CatalogVoice, where: Where) -> None:
    if not voice.files or not any(f.name.endswith(".onnx") for f in voice.files):
        raise where.error("needs an .onnx file")
    for f in voice.files:
        if not f.name or "/" in f.name or not f.url:
            raise where.child("files").error(f"file {f.name!r}: needs a plain name and a url")
        if not (f.sha256 or f.md5):
            raise where.child("files").error(f"file {f.name}: needs sha256 or md5")
        for algo, length in _HEX.items():
            value = getattr(f, algo)
            if value and not re.fullmatch(rf"[0-9a-fA-F]{{{length}}}", value):
                raise where.child("files").error(f"file {f.name}: {algo} must be {length} hex digits")


@dataclass
class Catalog:
    voices: dict[str, CatalogVoice] = field(default_factory=dict)
    source: str = "<builtin>/catalog.toml"

    @staticmethod
    def parse(text: str, source: str) -> Catalog:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{source}: invalid TOML: {err}") from None
        where = Where(source, text)
        doc = from_dict(_CatalogDoc, data, where)
        for name, voice in doc.voices.items():
            voice.name = name
            _check(voice, where.child("voices").child(name))
        return Catalog(doc.voices, source)

    @staticmethod
    def load(path: Optional[Path] = None) -> Catalog:
        if path is None:
            text = resources.files("sayso").joinpath("voices").joinpath("catalog.toml").read_text(encoding="utf-8")
            return Catalog.parse(text, "<builtin>/catalog.toml")
        return Catalog.parse(Path(path).read_text(encoding="utf-8"), str(path))

    def get(self, name: str) -> CatalogVoice:
        if name not in self.voices:
            close = [v for v in self.voices if name.lower() in v.lower()]
            hint = f" (did you mean {', '.join(close[:3])}?)" if close else " (see 'sayso voices list')"
            raise ModelError(f"no voice '{name}' in the catalog{hint}")
        return self.voices[name]


def is_pulled(voice: CatalogVoice, voices_dir: Path) -> bool:
    folder = Path(voices_dir) / voice.name
    return all((folder / f.name).is_file() for f in voice.files)


def pull(voice: CatalogVoice, voices_dir: Path, progress: bool = True) -> Path:
    """Download *voice* into ``voices_dir/NAME/``; returns that folder."""
    folder = Path(voices_dir).expanduser() / voice.name
    for spec in sorted(voice.files, key=lambda f: f.name.endswith(".onnx")):  # small config first
        remote = downloads.RemoteFile(name=spec.name, sha256=spec.sha256, size=spec.size or None, url=spec.url)
        if spec.sha256:
            downloads.fetch(remote, folder, progress)
        else:
            _fetch_md5(remote, spec, folder, progress)
    log.info("Voice %s installed in %s", voice.name, folder)
    return folder


def _md5_file(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch_md5(remote: downloads.RemoteFile, spec: CatalogFile, folder: Path, progress: bool) -> Path:
    """Like downloads.fetch, verified against piper's published md5 and size."""
    dest = folder / spec.name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if dest.is_file() and dest.stat().st_size == spec.size and _md5_file(dest) == spec.md5.lower():
            return dest
        work = folder / ".partial"
        work.mkdir(exist_ok=True)
        part = downloads._download_url(remote, work / f"{spec.name}.part", progress)
        size, md5 = part.stat().st_size, _md5_file(part)
        if md5 != spec.md5.lower() or (spec.size and size != spec.size):
            part.unlink(missing_ok=True)
            raise ModelError(
                f"checksum mismatch for {spec.name} (md5 {md5[:12]}… instead of {spec.md5[:12].lower()}…, "
                f"{size} bytes); the download was discarded"
            )
        os.replace(part, dest)
        downloads._remove_if_empty(work)
    except OSError as err:
        raise downloads._disk_error(err, folder, remote) from None
    return dest


def format_size(n: int) -> str:
    return f"{n / 1e6:.0f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"
