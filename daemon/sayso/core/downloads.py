"""Model downloads shared by ``sayso models pull`` and ``sayso voices pull``.

:func:`fetch` downloads a :class:`RemoteFile` (a Hugging Face file pinned to
a revision, or a plain URL) into a directory: progress bar on stderr,
partial downloads kept under ``DIR/.partial`` so a second run resumes,
sha256 checked before the file is moved into place atomically.  Every
failure is a one-line :class:`~sayso.core.errors.ModelError`.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import logging
import os
import shutil
import socket
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Union

from .errors import ModelError

_LOGGER = logging.getLogger(__name__)
_CHUNK = 1 << 20
_DISK_MARGIN = 64 << 20


@dataclass(frozen=True)
class RemoteFile:
    """A file to download: ``repo_id``/``filename``@``revision`` on Hugging Face, or ``url``."""

    name: str  # the file name in the destination directory
    sha256: str
    size: Optional[int] = None
    url: str = ""
    repo_id: str = ""
    filename: str = ""
    revision: str = "main"

    @property
    def source(self) -> str:
        if self.repo_id:
            return f"{self.repo_id}/{self.filename or self.name}@{self.revision[:12]}"
        return self.url


#: ``on_progress(bytes so far, total or None)``: called from the downloading thread as bytes arrive
Progress = Callable[[int, Optional[int]], None]


def fetch(
    remote: RemoteFile,
    dest_dir: Union[str, Path],
    progress: bool = True,
    *,
    endpoint: Optional[str] = None,
    on_progress: Optional[Progress] = None,
) -> Path:
    """Download *remote* into *dest_dir* and return its path (sha256 verified).

    A file already there with the right checksum is not downloaded again.
    *endpoint* overrides the Hugging Face endpoint (default: ``HF_ENDPOINT``
    or huggingface.co).
    """
    _validate(remote)
    dest_dir = Path(dest_dir).expanduser()
    dest = dest_dir / remote.name
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
        if dest.is_file():
            if sha256_file(dest) == remote.sha256.lower():
                return dest
            _LOGGER.warning("%s does not match its checksum; downloading it again", dest)
        work = dest_dir / ".partial"
        work.mkdir(exist_ok=True)
        _check_disk(dest_dir, remote, work)
        hf_dir = work / f"{remote.name}.hf"
        try:
            if remote.repo_id:
                got = _download_hf(remote, hf_dir, progress, endpoint, on_progress)
            else:
                got = _download_url(remote, work / f"{remote.name}.part", progress, on_progress)
        except ModelError:
            _tidy(work, hf_dir)  # keep only what a second run can resume
            raise
        try:
            _verify(got, remote)
            os.replace(got, dest)
        finally:  # verified and moved, or discarded: nothing to resume
            shutil.rmtree(hf_dir, ignore_errors=True)
            _remove_if_empty(work)
    except OSError as err:
        raise _disk_error(err, dest_dir, remote) from None
    _LOGGER.info("Downloaded %s to %s", remote.source, dest)
    return dest


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(4 * _CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _validate(remote: RemoteFile) -> None:
    if not remote.name or "/" in remote.name or remote.name.startswith("."):
        raise ModelError(f"invalid file name for a download: {remote.name!r}")
    if len(remote.sha256) != 64 or any(c not in "0123456789abcdefABCDEF" for c in remote.sha256):
        raise ModelError(f"{remote.name}: the catalog has no valid sha256 for it")
    if bool(remote.repo_id) == bool(remote.url):
        raise ModelError(f"{remote.name}: give either a Hugging Face repo or a URL")


def _verify(path: Path, remote: RemoteFile) -> None:
    size = path.stat().st_size
    got = sha256_file(path)
    if got != remote.sha256.lower():
        path.unlink(missing_ok=True)
        extra = f", {size} bytes instead of {remote.size}" if remote.size and size != remote.size else ""
        raise ModelError(
            f"checksum mismatch for {remote.name} (sha256 {got[:12]}… instead of {remote.sha256[:12].lower()}…{extra}); "  # noqa: E501  (one message, kept greppable)
            "the download was discarded"
        )


def _check_disk(dest_dir: Path, remote: RemoteFile, work: Path) -> None:
    if not remote.size:
        return
    have = sum(p.stat().st_size for p in work.rglob("*") if p.is_file() and p.name.startswith(remote.name))
    free = shutil.disk_usage(dest_dir).free
    need = max(0, remote.size - have)
    if need + _DISK_MARGIN > free:
        raise ModelError(f"not enough disk space in {dest_dir} for {remote.name}: need {_gb(need)}, {_gb(free)} free")


def _disk_error(err: OSError, dest_dir: Path, remote: RemoteFile) -> ModelError:
    if err.errno == errno.ENOSPC:
        return ModelError(f"disk full while downloading {remote.name} into {dest_dir}")
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ModelError(f"cannot write to {dest_dir}: {err.strerror}")
    return ModelError(f"cannot save {remote.name} in {dest_dir}: {err.strerror or err}")


def _gb(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e8 else f"{n / 1e6:.1f} MB"


def _tidy(work: Path, hf_dir: Path) -> None:
    if hf_dir.is_dir() and not any(p.is_file() and p.stat().st_size for p in hf_dir.rglob("*.incomplete")):
        shutil.rmtree(hf_dir, ignore_errors=True)
    _remove_if_empty(work)


def _remove_if_empty(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass


# --- plain URLs ---------------------------------------------------------------
def _download_url(remote: RemoteFile, part: Path, progress: bool, on_progress: Optional[Progress] = None) -> Path:
    """Stream *remote.url* into *part*, resuming what is already there."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": "sayso", "Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        resp = urllib.request.urlopen(urllib.request.Request(remote.url, headers=headers), timeout=30)
    except urllib.error.HTTPError as err:
        if err.code == 416 and have:  # the part is complete (or stale): start over
            part.unlink()
            return _download_url(remote, part, progress, on_progress)
        raise ModelError(f"cannot download {remote.name}: {remote.url} answered HTTP {err.code} {err.reason}") from None
    except (urllib.error.URLError, OSError) as err:
        raise _network_error(remote, getattr(err, "reason", err)) from None
    with resp:
        if have and resp.status != 206:
            have = 0  # the server ignored the range: whole file
        length = int(resp.headers.get("Content-Length") or 0)
        total = have + length if length else remote.size
        received = 0
        with open(part, "ab" if have else "wb") as out, _bar(remote.name, total, have, progress) as bar:
            try:
                while chunk := resp.read(_CHUNK):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
                    if on_progress is not None:
                        on_progress(have + received, total)
            except (TimeoutError, http.client.IncompleteRead, ConnectionError) as err:
                raise ModelError(
                    f"download of {remote.name} interrupted ({_reason(err)}); run it again to resume"
                ) from None
        if length and received < length:
            raise ModelError(
                f"download of {remote.name} interrupted ({received} of {length} bytes); run it again to resume"
            )
    return part


def _bar(name: str, total: Optional[int], initial: int, progress: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, unit_divisor=1024,
                desc=name, disable=not progress, file=sys.stderr, leave=True)  # fmt: skip


def _network_error(remote: RemoteFile, reason: object) -> ModelError:
    return ModelError(f"cannot download {remote.name} from {remote.source}: {_reason(reason)} (network down?)")


def _reason(reason: object) -> str:
    if isinstance(reason, BaseException):
        text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    else:
        text = str(reason)
    return text.strip().splitlines()[0] if text.strip() else "unknown error"


# --- Hugging Face -------------------------------------------------------------
def _download_hf(
    remote: RemoteFile, local_dir: Path, progress: bool, endpoint: Optional[str], on_progress: Optional[Progress] = None
) -> Path:
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:
        raise ModelError("downloading models needs the PyPI package huggingface-hub") from None
    from tqdm import tqdm

    class _Bar(tqdm):  # type: ignore[misc]  # tqdm has no types
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = not progress
            super().__init__(*args, **kwargs)

        def update(self, n: Any = 1) -> Any:
            shown = super().update(n)
            if on_progress is not None:
                on_progress(int(self.n), int(self.total) if self.total else None)
            return shown

    _preflight(remote, endpoint)
    hub_log = logging.getLogger("huggingface_hub")
    level = hub_log.level
    hub_log.setLevel(logging.ERROR)  # its retry warnings are not for the user: the error below is
    try:
        path = hf_hub_download(
            repo_id=remote.repo_id,
            filename=remote.filename or remote.name,
            revision=remote.revision,
            local_dir=str(local_dir),
            endpoint=endpoint,
            tqdm_class=_Bar,
        )
    except OSError as err:
        if err.errno in (errno.ENOSPC, errno.EACCES, errno.EPERM, errno.EROFS):
            raise
        raise _hf_error(remote, err) from None
    except Exception as err:  # huggingface_hub / httpx raise many kinds
        raise _hf_error(remote, err) from None
    finally:
        hub_log.setLevel(level)
    return Path(path)


def _preflight(remote: RemoteFile, endpoint: Optional[str]) -> None:
    """Fail fast when the hub cannot be reached at all (huggingface_hub retries for ~25 s)."""
    if any(
        os.environ.get(k) for k in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
    ):
        return  # reachability goes through the proxy: let huggingface_hub find out
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        raise ModelError(f"cannot download {remote.name}: HF_HUB_OFFLINE is set")
    from urllib.parse import urlparse

    if endpoint is None:
        from huggingface_hub import constants

        endpoint = constants.ENDPOINT
    url = urlparse(endpoint)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname, port), timeout=10).close()
    except OSError as err:
        raise _network_error(remote, f"cannot connect to {url.hostname}: {_reason(err)}") from None


def _hf_error(remote: RemoteFile, err: Exception) -> ModelError:
    from huggingface_hub import errors as hf

    where = f"{remote.repo_id}/{remote.filename or remote.name}"
    if isinstance(err, (hf.LocalEntryNotFoundError, hf.OfflineModeIsEnabled)):  # before EntryNotFoundError: a subclass
        return _network_error(remote, "the hub is unreachable")
    if isinstance(err, hf.GatedRepoError):
        return ModelError(
            f"{remote.repo_id} is gated on Hugging Face: accept its licence on the model page and set HF_TOKEN"
        )
    if isinstance(err, (hf.RepositoryNotFoundError, hf.RevisionNotFoundError, hf.EntryNotFoundError)):
        return ModelError(f"cannot download {remote.name}: {where}@{remote.revision[:12]} was not found on the hub")
    if isinstance(err, hf.HfHubHTTPError):
        status = getattr(getattr(err, "response", None), "status_code", None)
        return ModelError(f"cannot download {remote.name} from {where}: HTTP {status or 'error'}")
    return _network_error(remote, err)
