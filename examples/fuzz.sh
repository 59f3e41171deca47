#!/usr/bin/env bash
# Runs every fuzz target of the project for $1 each: a duration (default
# 20s) or a count of inputs (20000x, as make fuzz-smoke does).
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-20s}
for pkg in $(go list ./...); do
  for f in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "== $pkg $f"
    go test -run='^$' -fuzz="^$f\$" -fuzztime="$t" -fuzzminimizetime=5s "$pkg"
  done
done
