"""The digest of pyproject.toml's dependency tables, recorded in every lock file.

scripts/lock.sh writes it into each file's header (`# pyproject-digest: ...`);
tests/unit/test_lock.py and scripts/setup.sh recompute it, so a dependency edited in
pyproject.toml without re-locking is caught. Only the tables a lock depends on
count (build-system.requires, requires-python, dependencies,
optional-dependencies); comments, order and the rest of the file do not.

    python3 requirements/digest.py                   print the digest
    python3 requirements/digest.py --check           exit 1 if a lock file disagrees
    python3 requirements/digest.py --extras          the extras, comma-separated
    python3 requirements/digest.py --build-requires  build-system.requires, one a line

Standard library only (tomli on Python 3.10), so it runs before any venv exists.
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = Path(__file__).resolve().parent
HEADER = re.compile(r"^# pyproject-digest: (\S+)$", re.MULTILINE)


def _toml(path: Path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    return tomllib.loads(path.read_text(encoding="utf-8"))


def pyproject_digest(path: Path = ROOT / "pyproject.toml") -> str:
    data = _toml(path)
    project = data.get("project", {})

    def reqs(items) -> list[str]:
        return sorted(" ".join(str(r).split()) for r in items)  # whitespace-insensitive

    tables = {
        "build-system.requires": reqs(data.get("build-system", {}).get("requires", [])),
        "project.requires-python": project.get("requires-python", ""),
        "project.dependencies": reqs(project.get("dependencies", [])),
        "project.optional-dependencies": {
            extra: reqs(items) for extra, items in project.get("optional-dependencies", {}).items()
        },
    }
    blob = json.dumps(tables, sort_keys=True, separators=(",", ":")).encode()
    return "sha256:" + hashlib.sha256(blob).hexdigest()


def recorded_digest(lock: Path) -> str | None:
    m = HEADER.search(lock.read_text(encoding="utf-8"))
    return m.group(1) if m else None


def stale_locks() -> list[Path]:
    """Lock files whose recorded digest is not pyproject.toml's."""
    want = pyproject_digest()
    return [p for p in sorted(LOCKS.glob("*.txt")) if recorded_digest(p) != want]


def main(args: list[str]) -> int:
    try:
        data = _toml(ROOT / "pyproject.toml")
    except ModuleNotFoundError:
        print("digest.py: needs Python >= 3.11 or tomli", file=sys.stderr)
        return 2
    if args == ["--extras"]:
        print(",".join(sorted(data["project"].get("optional-dependencies", {}))))
    elif args == ["--build-requires"]:
        print("\n".join(data["build-system"]["requires"]))
    elif args == ["--check"]:
        stale = stale_locks()
        for p in stale:
            print(f"{p.relative_to(ROOT)} was not locked from this pyproject.toml", file=sys.stderr)
        if stale:
            print("pyproject.toml's dependencies changed since the lock: run scripts/lock.sh", file=sys.stderr)
            return 1
    elif not args:
        print(pyproject_digest())
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
