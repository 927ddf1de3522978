#!/bin/sh
# run-unit.sh: run every cmocka unit test binary given; fail if any fails.
# Each test prints its own cmocka report; a summary line closes the run.
set -u
failed=""
n=0
for t in "$@"; do
	n=$((n + 1))
	if ! "$t"; then
		failed="$failed $(basename "$t")"
	fi
done
if [ -n "$failed" ]; then
	echo "unit tests FAILED:$failed" >&2
	exit 1
fi
echo "unit tests: all $n binaries passed"
