#!/usr/bin/env bash
# Runs the test suite with each test file in a fresh Python process, so Qt objects, threads and sound
# devices left by one file can never reach the next (an intermittent segfault in pytest-qt's event
# processing was seen once when every file shared one process). Extra arguments go to every pytest run.
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0 failed=0 bad_files=()
for file in tests/test_*.py; do
  out=$(.venv/bin/python -m pytest -q -p no:cacheprovider "$@" "$file" 2>&1)
  code=$?
  summary=$(printf '%s\n' "$out" | grep -E '[0-9]+ (passed|failed|errors?|xfailed|skipped|deselected)' | tail -n 1)
  printf '%-45s %s\n' "$file" "$summary"
  p=0 f=0
  for n in $(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '^[0-9]+'); do p=$((p + n)); done
  for n in $(grep -oE '[0-9]+ (failed|errors?)' <<<"$summary" | grep -oE '^[0-9]+'); do f=$((f + n)); done
  passed=$((passed + p))
  if [ "$code" -ne 0 ] && [ "$code" -ne 5 ]; then
    failed=$((failed + (f > 0 ? f : 1)))
    bad_files+=("$file")
    printf '%s\n' "$out" | tail -n 60
  fi
done
[ ${#bad_files[@]} -eq 0 ] || echo "failing files: ${bad_files[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
