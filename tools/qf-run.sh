#!/bin/sh
# qf-run.sh BUILD: start every built qingfeng service on loopback with the
# default configuration (config/*.cfg, data under var/), in the foreground,
# and keep them running the way a platform's restart policy would.
#
# One supervisor per service: when the service exits, for whatever reason
# (a crash, SIGKILL, a failed start), the exit status is logged and the
# service is started again after a back-off that doubles from 0.5 s up to
# 30 s while it keeps failing, and starts again at 0.5 s once it has run for
# a minute. Every service recovers by itself on restart (it catches up by
# replay), so one crash never takes the others down. Ctrl-C or SIGTERM stops
# everything: SIGTERM to each service, wait, exit 0.
#
# QF_RUN_DIR: the directory holding config/ (default: the repository), where
# var/ is made. QF_RUN_BACKOFF_MS / QF_RUN_BACKOFF_MAX_MS / QF_RUN_HEALTHY_S
# change the back-off (0.5 s, 30 s, 60 s); QF_RUN_STOP_GRACE_S how long a
# service may take to stop before SIGKILL (8 s).
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case "$BUILD" in /*) ;; *) BUILD=$repo/$BUILD ;; esac
BIN=$BUILD/bin
cd "${QF_RUN_DIR:-$repo}" || exit 1
BACKOFF=${QF_RUN_BACKOFF_MS:-500}
BACKOFF_MAX=${QF_RUN_BACKOFF_MAX_MS:-30000}
HEALTHY=${QF_RUN_HEALTHY_S:-60}
# a service that has not stopped this long after SIGTERM gets SIGKILL (every
# service stops in well under 2 s; a hung one must not hang Ctrl-C)
GRACE=${QF_RUN_STOP_GRACE_S:-8}
mkdir -p var var/keys
state=$(mktemp -d "${TMPDIR:-/tmp}/qf-run-XXXXXX") || exit 1

log() { echo "qf-run: $(date '+%H:%M:%S') $*" >&2; }

# development keys made on first run (never committed): the contact-sealing
# key pair intake seals to and notifier opens with.
if [ -x "$BIN/qfctl" ] && [ ! -f var/keys/notifier-seal.pub ]; then
	"$BIN/qfctl" keygen --seal --out var/keys/notifier-seal >/dev/null 2>&1 || true
fi

# "3.5" for 3500 ms (sleep takes fractions)
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# why a child ended, from wait's status
why() {
	if [ "$1" -gt 128 ]; then
		sig=$(kill -l $(($1 - 128)) 2>/dev/null || echo "?")
		echo "was killed by signal $(($1 - 128)) (SIG$sig)"
	else
		echo "exited with status $1"
	fi
}

# supervise NAME BINARY CONFIG: run it, restart it when it ends, until the
# stop file exists. Runs in a subshell; SIGTERM stops the child and the loop.
supervise() {
	name=$1 bin=$2 cfg=$3
	child="" nap="" reaper="" restarts=0 delay=$BACKOFF
	trap 'touch "$state/stop"; [ -n "$nap" ] && kill "$nap" 2>/dev/null;
	      if [ -n "$child" ] && kill -TERM "$child" 2>/dev/null; then
		      ( sleep "$GRACE"; kill -0 "$child" 2>/dev/null &&
			log "$name did not stop within ${GRACE}s of SIGTERM: SIGKILL" &&
			kill -KILL "$child" ) &
		      reaper=$!
	      fi' TERM
	while [ ! -e "$state/stop" ]; do
		t0=$(date +%s)
		"$bin" --config "$cfg" &
		child=$!
		echo "$child" >"$state/$name.pid"
		if [ "$restarts" = 0 ]; then
			log "started $name (pid $child)"
		else
			log "restarted $name (pid $child, restart $restarts)"
		fi
		# wait returns early when the trap runs: wait again for the exit
		wait "$child"
		rc=$?
		while kill -0 "$child" 2>/dev/null; do
			wait "$child"
			rc=$?
		done
		child=""
		[ -n "$reaper" ] && kill "$reaper" 2>/dev/null
		# Ctrl-C reaches the services too (they stop cleanly, status 0)
		# a moment before the stop file exists: give it up to 2 s (a
		# loaded machine) before taking the exit for a crash
		if [ "$rc" = 0 ]; then
			n=0
			while [ ! -e "$state/stop" ] && [ "$n" -lt 20 ]; do
				sleep 0.1
				n=$((n + 1))
			done
		fi
		[ -e "$state/stop" ] && break
		ran=$(($(date +%s) - t0))
		[ "$ran" -ge "$HEALTHY" ] && delay=$BACKOFF
		restarts=$((restarts + 1))
		log "$name $(why "$rc") after ${ran}s; restarting in $(secs "$delay")s"
		sleep "$(secs "$delay")" &
		nap=$!
		wait "$nap"
		nap=""
		delay=$((delay * 2))
		[ "$delay" -gt "$BACKOFF_MAX" ] && delay=$BACKOFF_MAX
	done
	exit 0
}

# order: consumers can start before producers (they catch up by replay), but
# starting producers first gives a quieter log
services="intake router notifier disclosure audit"
sups=""
for s in $services; do
	b="$BIN/qf-$s"
	cfg="config/$s.cfg"
	[ -x "$b" ] || continue
	if [ ! -f "$cfg" ]; then
		log "$cfg missing, not starting $s"
		continue
	fi
	supervise "$s" "$b" "$cfg" &
	sups="$sups $!"
done
if [ -z "$sups" ]; then
	log "no service is built yet (make bin)"
	rm -rf "$state"
	exit 1
fi
echo "$$" >"$state/qf-run.pid"
log "supervising$sups (state in $state); Ctrl-C stops everything"

stop() {
	trap '' INT TERM
	log "stopping"
	touch "$state/stop"
	for p in $sups; do kill -TERM "$p" 2>/dev/null; done
	for p in $sups; do wait "$p" 2>/dev/null; done
	kill "$nap" 2>/dev/null
	rm -rf "$state"
	log "all stopped"
	exit 0
}
trap 'stop' INT TERM

# the supervisors never end by themselves; wait is interrupted by the trap
# (a short nap: a signal that slips in just before wait is still acted on
# within a second)
nap=""
while :; do
	sleep 1 &
	nap=$!
	wait "$nap" 2>/dev/null
done
