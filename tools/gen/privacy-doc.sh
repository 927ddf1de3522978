#!/bin/sh
# privacy-doc.sh [--check]: write the field table of docs/PRIVACY.md from
# proto/qingfeng/v1/events.proto (between the BEGIN/END visibility markers);
# with --check, change nothing and fail when the doc is not what the proto
# says.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
doc="$root/docs/PRIVACY.md"
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.table"' EXIT
awk -v out=md -f "$root/tools/gen/visibility.awk" "$root/proto/qingfeng/v1/events.proto" |
	sed '1{/^$/d}' >"$tmp.table"
awk -v table="$tmp.table" '
	/^<!-- BEGIN visibility/ { print; while ((getline l < table) > 0) print l; print ""; skip = 1; next }
	/^<!-- END visibility/ { skip = 0 }
	!skip { print }
' "$doc" >"$tmp"
if [ "${1:-}" = "--check" ]; then
	if ! cmp -s "$tmp" "$doc"; then
		echo "docs/PRIVACY.md: the field table differs from events.proto (run make privacy-doc)" >&2
		diff "$doc" "$tmp" | head -20 >&2
		exit 1
	fi
	exit 0
fi
cp "$tmp" "$doc"
