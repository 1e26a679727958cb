#!/usr/bin/env bash
# Sets up MatchSync on Debian 12 (Python 3.11): system packages, then a virtual environment in .venv.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(
  python3-venv
  # Qt offscreen and on a desktop (xcb)
  libglib2.0-0 libegl1 libgl1 libfontconfig1 libxkbcommon0 libdbus-1-3
  libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
  libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 xvfb xauth
  # sound: PortAudio for sounddevice, a PulseAudio virtual sound card for the device tests
  libportaudio2 pulseaudio pulseaudio-utils
  # simulator commentary, MQTT broker for sink tests, headless browser for the overlay tests
  espeak-ng mosquitto chromium sox
  # NATS JetStream cluster for the match-day sink tests
  nats-server
  # LTC timecode decoding and the reference encoder (core/ltc)
  libltc11
)

missing=()
if command -v dpkg-query >/dev/null; then
  for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "bootstrap: installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
echo "bootstrap: ready (.venv)"
