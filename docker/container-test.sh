#!/bin/sh
# container-test.sh (`make container-test`): the container deployment, tested
# here with podman and no registry.
#
#   1. base image: debian:bookworm-slim, pulled, or made offline with
#      debootstrap (docker/make-base-image.sh) when it cannot be pulled
#   2. the image: podman build --format docker -f docker/Dockerfile
#   3. keys: qf-make-keys inside the image (CURVE on everywhere)
#   4. pod: the five services in one pod (as docker/compose.yaml runs them,
#      names mapped to 127.0.0.1), health checks, one petition end to end
#      (docker/pipeline-check.py: intake -> assigned -> public board -> audit
#      log), data kept across a restart, SIGTERM stops each within 2 s
#   5. kube: docker/k8s/*.yaml are what docker/k8s/generate.py makes; its
#      kube-play rendering of the same StatefulSets runs under
#      `podman kube play` with the ConfigMap, Secrets and claims; the same
#      petition check
#   6. compose: docker/compose.yaml with podman-compose, when installed and
#      podman's network resolves container names (skipped with a reason
#      otherwise)
#
# Everything it creates carries the prefix qfct<pid> and is removed at the
# end, pass or fail (never `podman image prune`: that would drop the build
# cache). The image tag is kept (QF_IMAGE, default localhost/qingfeng:test).
# Bounded: QF_CT_TIMEOUT seconds in all (default 900). Stages to run:
# QF_CT_STAGES (default "pod kube compose"). QF_CT_BUILD=0 tests an existing
# QF_IMAGE without building. QF_KEEP=1 keeps logs and keys. Exit 0 only if
# every stage run passed.
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
export CONTAINERS_CONF="${CONTAINERS_CONF:-$ROOT/docker/containers.conf}"
IMAGE=${QF_IMAGE:-localhost/qingfeng:test}
PAUSE=${QF_PAUSE_IMAGE:-localhost/qingfeng-pause:test}
BASE=docker.io/library/debian:bookworm-slim
RUN=qfct$$
STAGES=${QF_CT_STAGES:-pod kube compose}
TIMEOUT=${QF_CT_TIMEOUT:-900}
SERVICES="intake router notifier disclosure audit"
TMP=$(mktemp -d "/tmp/qf-container-test-XXXXXX")
T0=$(date +%s)
failed=""
skipped=""

say() { printf 'container-test: [%4ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
fail() { say "FAIL: $*"; failed="$failed $stage"; }
port_of() { # SERVICE -> its HTTP port
	case "$1" in intake) echo 8080 ;; router) echo 8081 ;; notifier) echo 8082 ;;
	disclosure) echo 8083 ;; audit) echo 8084 ;; esac
}
# podman without systemd logs an error per health-check timer; drop those lines
quiet() {
	"$@" 2>"$TMP/stderr"
	_rc=$?
	grep -v -e 'systemd connection' -e 'healthcheck timer' "$TMP/stderr" >&2
	return $_rc
}

# ---------------------------------------------------------------- cleanup
cleanup() {
	trap '' INT TERM
	[ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null
	say "cleanup: removing what qfct$$ created"
	if [ -f "$TMP/kube-play.yaml" ]; then
		quiet podman kube down "$TMP/kube-play.yaml" >/dev/null
	fi
	for p in $(podman pod ps -q --filter "name=^$RUN" 2>/dev/null); do
		quiet podman pod rm -f -t 0 "$p" >/dev/null
	done
	for c in $(podman ps -aq --filter "name=^$RUN" 2>/dev/null); do
		quiet podman rm -f -t 0 "$c" >/dev/null
	done
	for v in $(podman volume ls -q --filter "name=^$RUN" 2>/dev/null); do
		podman volume rm -f "$v" >/dev/null 2>&1
	done
	for s in $(podman secret ls --format '{{.Name}}' 2>/dev/null | grep "^$RUN"); do
		podman secret rm "$s" >/dev/null 2>&1
	done
	for n in $(podman network ls -q --filter "name=^$RUN" 2>/dev/null); do
		podman network rm -f "$n" >/dev/null 2>&1
	done
	if [ -n "${KEEP:-}${QF_KEEP:-}" ]; then
		say "cleanup: logs and keys kept in $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap 'cleanup' EXIT
trap 'say "interrupted"; exit 2' INT
trap 'say "FAIL: took longer than ${TIMEOUT}s"; exit 1' TERM
# the watchdog holds no output open, and takes its sleep with it when ended
(
	trap 'kill "$nap" 2>/dev/null; exit 0' TERM
	sleep "$TIMEOUT" &
	nap=$!
	wait "$nap" && kill -TERM $$
) >/dev/null 2>&1 &
watchdog=$!

dump_logs() { # CONTAINER...
	for c in "$@"; do
		echo "---- logs of $c (last 15 lines) ----"
		podman logs --tail 15 "$c" 2>&1
	done
}

# ---------------------------------------------------------------- 1-3
stage=setup
command -v podman >/dev/null || { say "FAIL: podman is not installed (tools/install-deps.sh container)"; exit 1; }
if ! podman image exists "$BASE"; then
	say "base image: trying to pull $BASE"
	if ! timeout 30 podman pull -q "$BASE" >/dev/null 2>&1; then
		say "base image: no registry; making it offline (docker/make-base-image.sh)"
		docker/make-base-image.sh || { say "FAIL: cannot make the base image"; exit 1; }
	fi
fi
if [ "${QF_CT_BUILD:-1}" = 0 ]; then
	podman image exists "$IMAGE" && podman image exists "$PAUSE" ||
		{ say "FAIL: QF_CT_BUILD=0 but no image $IMAGE or $PAUSE"; exit 1; }
	say "build: skipped (QF_CT_BUILD=0), testing the existing $IMAGE"
else
	say "build: $IMAGE"
fi
if [ "${QF_CT_BUILD:-1}" != 0 ]; then
	if ! podman build --format docker -f docker/Dockerfile -t "$IMAGE" . >"$TMP/build.log" 2>&1 ||
		! podman build --format docker --target pause -f docker/Dockerfile -t "$PAUSE" . \
			>>"$TMP/build.log" 2>&1; then
		tail -30 "$TMP/build.log"
		say "FAIL: image build"
		exit 1
	fi
fi
say "build: $(podman image inspect "$IMAGE" --format '{{.Size}}' | awk '{ printf "%.0f MB", $1 / 1e6 }'), user $(podman image inspect "$IMAGE" --format '{{.Config.User}}')"
[ "$(podman image inspect "$IMAGE" --format '{{.Config.User}}')" = "10001:10001" ] || fail "image does not run as 10001"

say "keys: qf-make-keys --dev-tokens inside the image"
mkdir -p "$TMP/keys"
if ! quiet podman run --rm --user 0 -v "$TMP/keys:/keys" "$IMAGE" \
	qf-make-keys --dev-tokens --owner 10001:10001 /keys >"$TMP/keys.log"; then
	cat "$TMP/keys.log"
	say "FAIL: key generation"
	exit 1
fi
for s in $SERVICES; do
	out=$(quiet podman run --rm -v "$TMP/keys/$s:/run/secrets/qingfeng:ro" "$IMAGE" \
		"qf-$s" --config "/etc/qingfeng/$s.cfg" --check-config)
	case "$out" in
	*"configuration ok"*) ;;
	*) echo "$out"; fail "qf-$s --check-config in the image" ;;
	esac
done
[ -z "$failed" ] && say "config: the five container configurations check out (CURVE on)"

# ---------------------------------------------------------------- 4. pod
stage_pod() {
	pod=$RUN-pod
	hosts=""
	for s in $SERVICES; do hosts="$hosts --add-host $s:127.0.0.1"; done
	# shellcheck disable=SC2086
	if ! quiet podman pod create --name "$pod" --infra-image "$PAUSE" $hosts \
		-p 127.0.0.1::8080 -p 127.0.0.1::8081 -p 127.0.0.1::8083 -p 127.0.0.1::8084 >/dev/null; then
		fail "podman pod create"
		return
	fi
	for s in $SERVICES; do
		podman volume create "$RUN-pod-$s" >/dev/null
		if ! quiet podman run -d --pod "$pod" --name "$RUN-$s" \
			-e "QF_HTTP_PORT=$(port_of "$s")" \
			-v "$RUN-pod-$s:/var/lib/qingfeng" \
			-v "$TMP/keys/$s:/run/secrets/qingfeng:ro" \
			"$IMAGE" "qf-$s" --config "/etc/qingfeng/$s.cfg" >/dev/null; then
			fail "start $s"
		fi
	done
	hp() { podman pod inspect "$pod" --format "{{(index (index .InfraConfig.PortBindings \"$1/tcp\") 0).HostPort}}"; }
	urls="--intake http://127.0.0.1:$(hp 8080) --router http://127.0.0.1:$(hp 8081)
	      --disclosure http://127.0.0.1:$(hp 8083) --audit http://127.0.0.1:$(hp 8084)"
	say "pod: $pod up; intake on 127.0.0.1:$(hp 8080), board on 127.0.0.1:$(hp 8083)"
	# shellcheck disable=SC2086
	if ! python3 docker/pipeline-check.py $urls --token qf-dev-s04 --timeout 90 \
		--save "$TMP/pod-case.json"; then
		fail "pod: pipeline"
		dump_logs "$RUN-intake" "$RUN-router" "$RUN-disclosure" "$RUN-audit"
	fi
	for s in $SERVICES; do
		if quiet podman healthcheck run "$RUN-$s" >/dev/null; then :; else
			fail "pod: image HEALTHCHECK of $s is not healthy"
		fi
	done
	[ -z "$failed" ] && say "pod: image HEALTHCHECK healthy in all five (qfctl health .../readyz)"
	# a graceful stop: SIGTERM, exit 0, well within 2 s
	for s in $SERVICES; do
		t1=$(date +%s%N)
		quiet podman stop -t 10 "$RUN-$s" >/dev/null
		ms=$((($(date +%s%N) - t1) / 1000000))
		rc=$(podman inspect "$RUN-$s" --format '{{.State.ExitCode}}')
		if [ "$ms" -ge 2000 ] || [ "$rc" != 0 ]; then
			fail "pod: $s stopped in ${ms} ms with exit code $rc (want < 2000 ms, 0)"
		else
			say "pod: SIGTERM: $s stopped in ${ms} ms, exit code 0"
		fi
	done
	# the stores live in the volumes: after a restart nothing is lost
	for s in $SERVICES; do quiet podman start "$RUN-$s" >/dev/null; done
	# shellcheck disable=SC2086
	if python3 docker/pipeline-check.py $urls --again "$TMP/pod-case.json" --timeout 60; then
		say "pod: restarted on the same volumes: stores and epochs kept"
	else
		fail "pod: a restart lost data"
		dump_logs "$RUN-intake" "$RUN-disclosure" "$RUN-audit"
	fi
	quiet podman pod rm -f -t 0 "$pod" >/dev/null
	for s in $SERVICES; do podman volume rm -f "$RUN-pod-$s" >/dev/null 2>&1; done
}

# ---------------------------------------------------------------- 5. kube
stage_kube() {
	if ! python3 docker/k8s/generate.py --check; then
		fail "kube: docker/k8s/*.yaml differ from docker/k8s/generate.py's output (run it)"
		return
	fi
	say "kube: docker/k8s/*.yaml are up to date with generate.py"
	# podman before 4.4 mounts a Secret's data without base64-decoding it
	raw=
	case "$(podman version --format '{{.Client.Version}}')" in
	[0-3].* | 4.[0-3].*) raw=--raw ;;
	esac
	for s in $SERVICES; do
		python3 docker/k8s/generate.py --podman-secret "$TMP/keys/$s" "$RUN-$s-keys" $raw \
			>"$TMP/secret-$s.yaml"
		if ! podman secret create "$RUN-$s-keys" "$TMP/secret-$s.yaml" >/dev/null; then
			fail "kube: podman secret create $RUN-$s-keys"
			return
		fi
	done
	python3 docker/k8s/generate.py --kube-play --prefix "$RUN" --image "$IMAGE" \
		--host-ports auto >"$TMP/kube-play.yaml" || { fail "kube: generate"; return; }
	# the pod's infra process: qingfeng-pause (podman would build its own
	# pause image from catatonit, which Debian's podman only recommends)
	awk -v img="$PAUSE" '{ print } /^\[engine\]/ { print "infra_image = \"" img "\"" }' \
		"$CONTAINERS_CONF" >"$TMP/containers.conf"
	if ! CONTAINERS_CONF=$TMP/containers.conf quiet podman kube play "$TMP/kube-play.yaml" \
		>"$TMP/kube-play.log"; then
		cat "$TMP/kube-play.log"
		fail "kube: podman kube play"
		return
	fi
	kpod=$RUN-qingfeng
	hp() { podman pod inspect "$kpod" --format "{{(index (index .InfraConfig.PortBindings \"$1/tcp\") 0).HostPort}}"; }
	say "kube: pod $kpod playing; intake on 127.0.0.1:$(hp 8080)"
	# shellcheck disable=SC2046
	if ! python3 docker/pipeline-check.py --intake "http://127.0.0.1:$(hp 8080)" \
		--router "http://127.0.0.1:$(hp 8081)" --disclosure "http://127.0.0.1:$(hp 8083)" \
		--audit "http://127.0.0.1:$(hp 8084)" --token qf-dev-s04 --timeout 90; then
		fail "kube: pipeline"
		dump_logs $(podman ps -a --filter "pod=$kpod" --format '{{.Names}}' | grep -v infra)
	fi
	quiet podman kube down "$TMP/kube-play.yaml" >/dev/null
	rm -f "$TMP/kube-play.yaml"
	say "kube: played down"
}

# ---------------------------------------------------------------- 6. compose
stage_compose() {
	if ! command -v podman-compose >/dev/null; then
		skipped="$skipped compose(podman-compose not installed)"
		say "compose: SKIPPED: podman-compose is not installed (apt-get install podman-compose)"
		return
	fi
	# service names must resolve on the project network: netavark with
	# aardvark-dns, or CNI with the dnsname plugin
	backend=$(podman info --format '{{.Host.NetworkBackend}}')
	dnsname=
	for d in /usr/lib/cni /usr/libexec/cni /opt/cni/bin; do
		[ -x "$d/dnsname" ] && dnsname=$d/dnsname
	done
	if [ "$backend" = cni ] && [ -z "$dnsname" ]; then
		skipped="$skipped compose(no container DNS)"
		say "compose: SKIPPED: podman's CNI network has no dnsname plugin, so containers cannot resolve each other's names (apt-get install golang-github-containernetworking-plugin-dnsname, or use netavark)"
		return
	fi
	ip=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	bp=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	(
		cd docker || exit 1
		QF_IMAGE=$IMAGE QF_KEYS=$TMP/keys QF_INTAKE_PORT=127.0.0.1:$ip QF_BOARD_PORT=127.0.0.1:$bp \
			podman-compose -p "$RUN" up -d >"$TMP/compose.log" 2>&1
	)
	say "compose: project $RUN up; intake on 127.0.0.1:$ip, board on 127.0.0.1:$bp"
	# router and audit are not published: reach them on the project network
	cip() {
		podman inspect "$(podman ps -q --filter "name=^${RUN}_$1" | head -1)" \
			--format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}'
	}
	if ! python3 docker/pipeline-check.py --intake "http://127.0.0.1:$ip" \
		--disclosure "http://127.0.0.1:$bp" --router "http://$(cip router):8081" \
		--audit "http://$(cip audit):8084" --token qf-dev-s04 --timeout 90; then
		fail "compose: pipeline"
		tail -20 "$TMP/compose.log"
		# shellcheck disable=SC2046
		dump_logs $(podman ps -a --filter "name=^$RUN" --format '{{.Names}}')
	fi
	for c in $(podman ps -a --filter "name=^$RUN" --format '{{.Names}}'); do
		quiet podman healthcheck run "$c" >/dev/null || fail "compose: $c is not healthy"
	done
	say "compose: health checks of compose.yaml pass in all five"
	# published: intake and the board only
	pubs=$(podman ps --filter "name=^$RUN" --format '{{.Names}} {{.Ports}}' | grep -c -- '->')
	[ "$pubs" = 2 ] || fail "compose: $pubs containers publish ports (want 2: intake, disclosure)"
	(
		cd docker || exit 1
		QF_IMAGE=$IMAGE QF_KEYS=$TMP/keys podman-compose -p "$RUN" down -v >>"$TMP/compose.log" 2>&1
	)
	say "compose: down"
}

for stage in $STAGES; do
	case "$stage" in
	pod) stage_pod ;;
	kube) stage_kube ;;
	compose) stage_compose ;;
	*) say "unknown stage $stage (pod, kube, compose)"; failed="$failed $stage" ;;
	esac
done

[ -n "$skipped" ] && say "skipped:$skipped"
if [ -n "$failed" ]; then
	say "FAILED:$(echo "$failed" | tr ' ' '\n' | sort -u | tr '\n' ' ')"
	exit 1
fi
say "PASS (stages: $STAGES${skipped:+; skipped:$skipped})"
exit 0
