#!/bin/sh
# run.sh MODE TARGET...: build and run libFuzzer targets with clang.
#   MODE short: a few seconds each (part of `make test`), from a fixed seed
#               (FUZZ_SEED, default 1) so that a clean clone explores the
#               same inputs every run and CI's verdict is reproducible
#   MODE long:  FUZZ_SECONDS each (default 300; `make fuzz`), a new random
#               seed every run: this is where new inputs are found.
#               FUZZ_RUNS=N stops a target after N executions instead (the
#               time limit still applies when FUZZ_SECONDS is set); the
#               executions and exec/s are printed per target
#   MODE merge: minimise what long runs found (build/fuzz/corpus/<target>)
#               into the committed seeds (tests/fuzz/corpus/<target>) with
#               libFuzzer's -merge=1: only inputs that add coverage are kept
# Target fuzz_<name>.c links common/ and the generated protobuf code; a
# target named fuzz_<service>_*.c also links that service's modules (all but
# main.c), and fuzz_qfctl_*.c qfctl's. Seeds live in
# tests/fuzz/corpus/<target>/ (committed); new inputs go to
# build/fuzz/corpus/<target>/. Crashes fail the run and are kept in
# build/fuzz/.
set -eu
mode=$1
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=build/fuzz
mkdir -p "$out"
runs=-1
case "$mode" in
short) secs=${FUZZ_SHORT_SECONDS:-8} seed=${FUZZ_SEED:-1} ;;
long)
	seed=${FUZZ_SEED:-0}
	if [ -n "${FUZZ_RUNS:-}" ]; then
		runs=$FUZZ_RUNS secs=${FUZZ_SECONDS:-0}
	else
		secs=${FUZZ_SECONDS:-300}
	fi
	;;
merge) secs=0 seed=0 ;;
*) echo "run.sh: mode is short, long or merge" >&2; exit 2 ;;
esac
[ $# -gt 0 ] || { echo "fuzz: no targets"; exit 0; }

# generated protobuf code, made by the normal build
gen=build/gen
# (every message's: protoc-c makes one file's per run, and envelope.proto's
# code needs events.proto's)
for p in proto/qingfeng/v1/*.proto; do
	h="$gen/qingfeng/v1/$(basename "$p" .proto).pb-c.h"
	[ -f "$h" ] || make --no-print-directory "$h" >/dev/null
done
make --no-print-directory "$gen/qf_visibility.c" >/dev/null
pkgs="libzmq libprotobuf-c lmdb libconfig libmicrohttpd jansson libsodium libcurl libqrencode"
cflags="-std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Icommon -I$gen $(pkg-config --cflags $pkgs)"
libs="$(pkg-config --libs $pkgs) -lunistring -lm -pthread"

svc_dir() {
	case "$1" in
	fuzz_intake_*) echo services/intake ;;
	fuzz_router_*) echo services/router ;;
	fuzz_notifier_*) echo services/notifier ;;
	fuzz_disclosure_*) echo services/disclosure-publisher ;;
	fuzz_audit_*) echo services/audit ;;
	fuzz_qfctl_*) echo tools/qfctl ;;
	*) echo "" ;;
	esac
}

failed=""
for t in "$@"; do
	dir=$(svc_dir "$t")
	extra=""
	inc=""
	if [ -n "$dir" ]; then
		extra=$(ls "$dir"/*.c 2>/dev/null | grep -v '/main\.c$' || true)
		inc="-I$dir"
	fi
	bin="$out/$t"
	# shellcheck disable=SC2086
	if ! clang $cflags $inc -o "$bin" "tests/fuzz/$t.c" common/*.c "$gen"/qingfeng/v1/*.pb-c.c "$gen"/qf_visibility.c $extra $libs 2>"$out/$t.build.log"; then
		echo "fuzz: cannot build $t:" >&2
		cat "$out/$t.build.log" >&2
		failed="$failed $t"
		continue
	fi
	mkdir -p "$out/corpus/$t" "tests/fuzz/corpus/$t"
	if [ "$mode" = merge ]; then
		before=$(ls "tests/fuzz/corpus/$t" | wc -l)
		if ! (cd "$out" && ASAN_OPTIONS=detect_leaks=0 "./$t" -merge=1 -timeout=10 \
			-rss_limit_mb=2048 "$root/tests/fuzz/corpus/$t" "corpus/$t" >"$t.merge.log" 2>&1); then
			echo "fuzz: $t merge FAILED; see $out/$t.merge.log" >&2
			failed="$failed $t"
		fi
		echo "fuzz: $t seeds $before -> $(ls "tests/fuzz/corpus/$t" | wc -l)"
		continue
	fi
	if [ "$runs" -ge 0 ]; then
		echo "fuzz: $t for $runs executions$([ "$secs" -gt 0 ] && echo " (at most ${secs}s)")"
	else
		echo "fuzz: $t for ${secs}s"
	fi
	t0=$(date +%s)
	if ! (cd "$out" && ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$root/tests/lsan.supp "./$t" -max_total_time="$secs" -runs="$runs" -seed="$seed" \
		-print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		"corpus/$t" "$root/tests/fuzz/corpus/$t" >"$t.log" 2>&1); then
		echo "fuzz: $t FAILED; see $out/$t.log" >&2
		tail -n 40 "$out/$t.log" >&2
		failed="$failed $t"
	else
		grep -E '^#[0-9]+.*(DONE|pulse)' "$out/$t.log" | tail -n 1 || true
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log" | tail -n 1)
		echo "fuzz: $t: ${execs:-?} executions in $(($(date +%s) - t0))s"
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz: FAILED:$failed" >&2
	exit 1
fi
echo "fuzz: all targets ran clean"
