#!/bin/sh
# install-test-js.sh: the test tools Debian lacks (tests/js/package.json:
# an OpenAPI validator, axe-core), exactly the versions and hashes of
# tests/js/package-lock.json (npm ci refuses anything else). Tests only:
# nothing here is part of what a deployment runs. Skipped when the
# installed tree already matches the lock file.
set -eu
dir=$(cd "$(dirname "$0")/../tests/js" && pwd)
stamp="$dir/node_modules/.qf-lock-sha256"
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	exit 0
fi
echo "install-test-js: npm ci in tests/js" >&2
(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund >&2)
echo "$want" >"$stamp"
