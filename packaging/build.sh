#!/usr/bin/env bash
# Builds the one-folder MatchSync app with PyInstaller: packaging/build/dist/matchsync/matchsync.
# Needs the `package` extra (.venv/bin/pip install -e '.[package]') and libportaudio2 on the build machine.
# Output folders default to packaging/build (gitignored); BUILD_DIR=/somewhere overrides.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-packaging/build}
PYTHON=${PYTHON:-.venv/bin/python}
"$PYTHON" -m PyInstaller --version >/dev/null 2>&1 || "$PYTHON" -m pip install -q -e '.[package]'
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$BUILD_DIR/dist" --workpath "$BUILD_DIR/work" packaging/matchsync.spec
echo "build: $BUILD_DIR/dist/matchsync/matchsync ($(du -sm "$BUILD_DIR/dist/matchsync" | cut -f1) MB)"
