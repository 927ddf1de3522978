#!/bin/sh
# fresh-machine-test.sh (`make fresh-machine-test`, a CI step): the README's
# commands on a fresh Debian 12 machine, so that a missing install step
# fails CI instead of a new user.
#
#   1. the pristine base image (debian:bookworm-slim: pulled, or made offline
#      by docker/make-base-image.sh, as `make container-test` does); nothing
#      else is installed in it
#   2. a clean clone of this repository's HEAD (committed work only, no
#      build/ or var/), mounted into a container started from that image,
#      as root, with its own network namespace (its loopback is its own;
#      apt reaches Debian's mirror through podman's default network)
#   3. inside: make installed (the one thing a user brings besides git),
#      then `make run` in the background until every service's /readyz
#      answers 200, then `make demo`, then the test command (QF_FRESH_TEST,
#      default `make test`), then Ctrl-C to `make run`, which must stop
#      every service and exit 0
#
# Fails when any step fails. Bounded by QF_FRESH_TIMEOUT seconds (default
# 3600). QF_KEEP=1 keeps the clone and the logs. The container runs
# --privileged because `make test` makes network namespaces, iptables
# rules and tmpfs mounts (its multi-host and fault tests).
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
export CONTAINERS_CONF="${CONTAINERS_CONF:-$ROOT/docker/containers.conf}"
BASE=docker.io/library/debian:bookworm-slim
NAME=qffresh$$
TEST=${QF_FRESH_TEST:-make test}
TIMEOUT=${QF_FRESH_TIMEOUT:-3600}
TMP=$(mktemp -d /tmp/qf-fresh-machine-XXXXXX)
T0=$(date +%s)

say() { printf 'fresh-machine: [%4ss] %s\n' "$(($(date +%s) - T0))" "$*"; }

cleanup() {
	podman rm -f -t 0 "$NAME" >/dev/null 2>&1
	if [ -n "${QF_KEEP:-}" ]; then
		say "kept in $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'say "interrupted"; exit 2' INT TERM

command -v podman >/dev/null || { say "FAIL: podman is not installed (tools/install-deps.sh container)"; exit 1; }
command -v git >/dev/null || { say "FAIL: git is not installed"; exit 1; }
if ! podman image exists "$BASE"; then
	if ! timeout 30 podman pull -q "$BASE" >/dev/null 2>&1; then
		say "base image: no registry; making it offline (docker/make-base-image.sh)"
		docker/make-base-image.sh || { say "FAIL: cannot make the base image"; exit 1; }
	fi
fi

head=$(git rev-parse HEAD)
git clone -q --no-hardlinks "$ROOT" "$TMP/qingfeng" && git -C "$TMP/qingfeng" checkout -q "$head" ||
	{ say "FAIL: git clone"; exit 1; }
say "clean clone of $(git rev-parse --short HEAD) ($(git -C "$TMP/qingfeng" ls-files | wc -l) files); test command: $TEST"

# what runs inside the container, as root, in the clone
cat >"$TMP/inside.sh" <<'EOF'
#!/bin/sh
set -u
cd /root/qingfeng || exit 2
# logs beside the clone, so that QF_KEEP=1 keeps them (not part of the tree)
LOGS=/root/fresh-logs
mkdir -p "$LOGS"
t0=$(date +%s)
say() { printf 'fresh-machine (inside): [%4ss] %s\n' "$(($(date +%s) - t0))" "$*"; }
say "$(. /etc/os-release; echo "$PRETTY_NAME"), $(dpkg-query -W -f '${Package}\n' | wc -l) packages installed"
# the README's two commands need make itself (and git, which cloned this
# outside): the one package installed by hand
apt-get update -qq >/dev/null 2>&1
apt-get install -y -qq --no-install-recommends make >/dev/null 2>&1 || { say "FAIL: apt-get install make"; exit 1; }
say "installed make; now: make run"
# a background job starts with SIGINT ignored, and make and sh keep it so:
# give make run the default disposition, in a process group of its own,
# so that SIGINT to the group below is Ctrl-C in a terminal
env --default-signal=INT setsid make run >$LOGS/make-run.log 2>&1 &
run=$!
ready() {
	command -v curl >/dev/null || return 1
	for p in 8080 8081 8082 8083 8084; do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p/readyz")" = 200 ] || return 1
	done
}
n=0
until ready; do
	if ! kill -0 "$run" 2>/dev/null; then
		tail -40 $LOGS/make-run.log
		say "FAIL: make run exited before every service was ready"
		exit 1
	fi
	n=$((n + 1))
	if [ "$n" -gt 900 ]; then
		tail -40 $LOGS/make-run.log
		say "FAIL: not every /readyz answered 200 within 30 minutes"
		exit 1
	fi
	sleep 2
done
say "make run: every /readyz answers 200"
if grep -q cmocka $LOGS/make-run.log || dpkg-query -W -f '${db:Status-Status}' libcmocka-dev 2>/dev/null | grep -q '^installed'; then
	say "FAIL: make run installed or built something of the unit tests (cmocka)"
	exit 1
fi
if ! make demo >$LOGS/make-demo.log 2>&1; then
	tail -30 $LOGS/make-demo.log
	say "FAIL: make demo"
	exit 1
fi
say "make demo: $(tail -1 $LOGS/make-demo.log)"
# the tests start their own services on free ports: stop make run first
kill -INT -"$run"
wait "$run"
rc=$?
grep -q "all stopped" $LOGS/make-run.log || { tail -20 $LOGS/make-run.log; say "FAIL: make run did not stop cleanly on Ctrl-C (status $rc)"; exit 1; }
say "make run: Ctrl-C stopped every service"
say "running: $QF_FRESH_TEST"
sh -c "$QF_FRESH_TEST" >$LOGS/make-test.log 2>&1
rc=$?
tail -25 $LOGS/make-test.log
if [ "$rc" != 0 ]; then
	# every failing test with its reason
	grep -a -E -A 25 '^(FAIL|ERROR): ' $LOGS/make-test.log | grep -a -v 'level=' | head -150
	say "FAIL: $QF_FRESH_TEST exited $rc"
	exit 1
fi
say "PASS"
EOF

mkdir -p "$TMP/logs"
# The host's CA bundle as extra trust for npm (the pinned test tools): a
# network whose TLS is inspected by a local CA reaches the registry only
# with it. The container's own CA store stays Debian's.
ca=""
[ -r /etc/ssl/certs/ca-certificates.crt ] &&
	ca="-v /etc/ssl/certs/ca-certificates.crt:/etc/qf-host-ca.crt:ro -e NODE_EXTRA_CA_CERTS=/etc/qf-host-ca.crt"
say "container $NAME from $BASE (logs: $TMP/logs with QF_KEEP=1)"
# shellcheck disable=SC2086
timeout "$TIMEOUT" podman run --name "$NAME" --privileged $ca \
	-e QF_FRESH_TEST="$TEST" -e DEBIAN_FRONTEND=noninteractive \
	-v "$TMP/qingfeng:/root/qingfeng" -v "$TMP/logs:/root/fresh-logs" \
	-v "$TMP/inside.sh:/inside.sh:ro" \
	"$BASE" sh /inside.sh 2>&1 | tee "$TMP/inside.log"
rc=$(podman inspect "$NAME" --format '{{.State.ExitCode}}' 2>/dev/null || echo 1)
if [ "$rc" != 0 ]; then
	say "FAIL (exit $rc)"
	exit 1
fi
say "PASS in $(($(date +%s) - T0))s"
