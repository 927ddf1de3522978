#!/bin/sh
# bench-memory.sh BUILD: idle RSS (VmRSS) of each service started with an
# empty store, MEMORY_IDLE_S seconds after start (default 10). Goal: at most
# 16 MiB each. Not a test.
set -eu
BUILD=${1:-build}
exec /usr/bin/python3 "$(dirname "$0")/e2e.py" "$BUILD" --idle "${MEMORY_IDLE_S:-10}"
