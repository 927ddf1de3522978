#!/bin/sh
# qf-run.sh BUILD: start every built qingfeng service on loopback with the
# default configuration (config/*.cfg, data under var/), in the foreground.
# Ctrl-C or SIGTERM stops them all (SIGTERM to each, then wait). If one
# service dies, the others are stopped too and the exit code says so.
set -u
BUILD=${1:-build}
BIN=$BUILD/bin
cd "$(dirname "$0")/.." || exit 1
mkdir -p var var/keys

# development keys made on first run (never committed): the contact-sealing
# key pair intake seals to and notifier opens with.
if [ -x "$BIN/qfctl" ] && [ ! -f var/keys/notifier-seal.pub ]; then
	"$BIN/qfctl" keygen --seal --out var/keys/notifier-seal >/dev/null 2>&1 || true
fi

# order: consumers can start before producers (they catch up by replay), but
# starting producers first gives a quieter log
services="intake router notifier disclosure audit"
pids=""
for s in $services; do
	b="$BIN/qf-$s"
	cfg="config/$s.cfg"
	[ -x "$b" ] || continue
	if [ ! -f "$cfg" ]; then
		echo "qf-run: $cfg missing, not starting $s" >&2
		continue
	fi
	"$b" --config "$cfg" &
	pids="$pids $!"
	echo "qf-run: started $s (pid $!)" >&2
done
if [ -z "$pids" ]; then
	echo "qf-run: no service is built yet (make all)" >&2
	exit 1
fi

stop() {
	trap '' INT TERM
	echo "qf-run: stopping$pids" >&2
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	echo "qf-run: all stopped" >&2
	exit "${1:-0}"
}
trap 'stop 0' INT TERM

# wait until any child exits, then stop the rest
while :; do
	for p in $pids; do
		if ! kill -0 "$p" 2>/dev/null; then
			wait "$p"
			rc=$?
			echo "qf-run: pid $p exited with $rc; stopping the others" >&2
			stop 1
		fi
	done
	sleep 1 &
	wait $! 2>/dev/null
done
