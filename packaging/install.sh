#!/usr/bin/env bash
# Installs a built MatchSync for the current user: the app folder under ~/.local/lib/matchsync, the
# `matchsync` command in ~/.local/bin, the desktop entry and its icon (freedesktop locations).
set -euo pipefail
cd "$(dirname "$0")"
DIST=${1:-build/dist/matchsync}
[ -x "$DIST/matchsync" ] || { echo "install: no build at $DIST (run packaging/build.sh)" >&2; exit 2; }
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
rm -rf "$HOME/.local/lib/matchsync"
mkdir -p "$HOME/.local/lib" "$HOME/.local/bin" "$DATA/applications" "$DATA/icons/hicolor/scalable/apps"
cp -a "$DIST" "$HOME/.local/lib/matchsync"
ln -sf "$HOME/.local/lib/matchsync/matchsync" "$HOME/.local/bin/matchsync"
cp matchsync.svg "$DATA/icons/hicolor/scalable/apps/matchsync.svg"
sed "s|^Exec=matchsync|Exec=$HOME/.local/bin/matchsync|; s|^TryExec=matchsync|TryExec=$HOME/.local/bin/matchsync|" \
  matchsync.desktop > "$DATA/applications/matchsync.desktop"
echo "install: matchsync in $HOME/.local/bin, desktop entry in $DATA/applications"
