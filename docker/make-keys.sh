#!/bin/sh
# make-keys.sh: every secret a containerised qingfeng needs, made once by the
# operator into one directory per service. Each directory is mounted
# read-only at /run/secrets/qingfeng in that service's container (compose
# bind mount, Kubernetes Secret), where docker/config/<service>.cfg looks.
#
#   docker/make-keys.sh [--dev-tokens] [--origin NAME] [--community FILE]
#                       [--owner UID:GID] [--force] DIR
#
# In the image it is /usr/local/bin/qf-make-keys, so no host build is needed:
#   podman run --rm --user 0 -v "$PWD/keys:/keys" localhost/qingfeng:latest \
#       qf-make-keys --owner 10001:10001 /keys
#
# What each directory holds (the same file names everywhere, so the five
# container configurations look alike):
#   curve.pub, curve.key   this service's CURVE key pair (Z85)
#   allow                  public keys of the services allowed to connect to
#                          this one's PUB and replay sockets (ZAP allow-list)
#   <source>.pub           the public key of each producer it consumes
#   staff-tokens.cfg       staff bearer-token hashes (intake, router, notifier, audit)
#   pseudonym.key, contact.key, notifier-seal.pub            (intake)
#   notifier-seal.key, webhook-secret.txt, dingtalk-secret.txt (notifier)
#   checkpoint.key, checkpoint.vkey                          (audit)
# plus public/ (every public key and the audit verifier key: give these to
# anyone) and staff-tokens.txt (the plain tokens: hand them to the staff,
# then delete the file; only hashes stay in the service directories).
#
# --dev-tokens uses the documented development tokens qf-dev-<staff id>
# instead of random ones (tests and trials only).
set -eu

dev_tokens=0
origin=qingfeng.local/audit/v2
community=
owner=
force=0
while [ $# -gt 0 ]; do
	case "$1" in
	--dev-tokens) dev_tokens=1 ;;
	--origin) origin=$2; shift ;;
	--community) community=$2; shift ;;
	--owner) owner=$2; shift ;;
	--force) force=1 ;;
	-h | --help)
		sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'
		exit 0 ;;
	-*) echo "make-keys: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
[ $# -eq 1 ] || { echo "usage: make-keys.sh [--dev-tokens] [--origin NAME] [--community FILE] [--owner UID:GID] [--force] DIR" >&2; exit 2; }
dir=$1

here=$(cd "$(dirname "$0")" && pwd)
QFCTL=${QFCTL:-}
if [ -z "$QFCTL" ]; then
	for c in "$(command -v qfctl 2>/dev/null || true)" "$here/../build/bin/qfctl"; do
		if [ -n "$c" ] && [ -x "$c" ]; then QFCTL=$c; break; fi
	done
fi
[ -n "$QFCTL" ] || { echo "make-keys: qfctl not found (make bin, or set QFCTL)" >&2; exit 1; }
if [ -z "$community" ]; then
	for c in /etc/qingfeng/community.cfg "$here/../config/community.cfg"; do
		if [ -f "$c" ]; then community=$c; break; fi
	done
fi
[ -f "$community" ] || { echo "make-keys: community file not found (--community FILE)" >&2; exit 1; }

services="intake router notifier disclosure audit"
if [ -e "$dir/intake/curve.key" ] && [ "$force" != 1 ]; then
	echo "make-keys: $dir already holds keys (--force to replace them all)" >&2
	exit 1
fi
umask 077
mkdir -p "$dir/public"
for s in $services; do mkdir -p "$dir/$s"; done

# ---------------------------------------------------------------- CURVE
curve_pair() { # PREFIX
	"$QFCTL" keygen --out "$1" >/dev/null
}
hex32() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }

for s in $services; do
	curve_pair "$dir/$s/curve"
	cp "$dir/$s/curve.pub" "$dir/public/$s.pub"
done

# who consumes whom (config/*.cfg and docker/config/*.cfg bus.sources)
sources_of() {
	case "$1" in
	intake) echo router audit ;;
	router) echo intake ;;
	notifier) echo intake router audit ;;
	disclosure) echo intake router audit ;;
	audit) echo intake router notifier disclosure ;;
	esac
}
for s in $services; do
	: >"$dir/$s/allow"
	echo "# CURVE public keys allowed to connect to $s (one per line)" >>"$dir/$s/allow"
done
for c in $services; do
	for p in $(sources_of "$c"); do
		cp "$dir/public/$p.pub" "$dir/$c/$p.pub"
		printf '%s  # %s\n' "$(cat "$dir/public/$c.pub")" "$c" >>"$dir/$p/allow"
	done
done

# ---------------------------------------------------------------- intake / notifier
"$QFCTL" keygen --seal --out "$dir/notifier/notifier-seal" >/dev/null
mv "$dir/notifier/notifier-seal.pub" "$dir/intake/notifier-seal.pub"
cp "$dir/intake/notifier-seal.pub" "$dir/public/notifier-seal.pub"
hex32 >"$dir/intake/pseudonym.key"
hex32 >"$dir/intake/contact.key"
hex32 >"$dir/notifier/webhook-secret.txt"
hex32 >"$dir/notifier/dingtalk-secret.txt"

# ---------------------------------------------------------------- audit
"$QFCTL" audit keygen --name "$origin" --out "$dir/audit/checkpoint" >/dev/null
cp "$dir/audit/checkpoint.vkey" "$dir/public/checkpoint.vkey"

# ---------------------------------------------------------------- staff tokens
staff=$(awk '/^staff *= *\(/ { on = 1 } on { print } on && /^\);/ { exit }' "$community" |
	grep -o '[{ ;]id *= *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/')
[ -n "$staff" ] || { echo "make-keys: no staff in $community" >&2; exit 1; }
tokens="$dir/staff-tokens.txt"
cfg="$dir/intake/staff-tokens.cfg"
{
	echo "# staff-tokens.cfg: staff bearer tokens as SHA-256 hashes (made by make-keys.sh)."
	[ "$dev_tokens" = 1 ] && echo "# DEVELOPMENT TOKENS qf-dev-<staff id>: never deploy these."
	echo "tokens = ("
} >"$cfg"
: >"$tokens"
first=1
for id in $staff; do
	if [ "$dev_tokens" = 1 ]; then tok="qf-dev-$id"; else tok="qf-$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')"; fi
	h=$(printf %s "$tok" | sha256sum | cut -d' ' -f1)
	[ $first = 1 ] || echo "," >>"$cfg"
	printf '  { staff = "%s"; sha256 = "%s"; }' "$id" "$h" >>"$cfg"
	printf '%s %s\n' "$id" "$tok" >>"$tokens"
	first=0
done
printf '\n);\n' >>"$cfg"
cp "$cfg" "$dir/router/staff-tokens.cfg"
cp "$cfg" "$dir/notifier/staff-tokens.cfg"
cp "$cfg" "$dir/audit/staff-tokens.cfg"

# ---------------------------------------------------------------- Kubernetes
# one Secret per service, ready for `kubectl apply -f` (and for podman kube
# play, which wants each Secret stored with `podman secret create`)
mkdir -p "$dir/k8s"
for s in $services; do
	out="$dir/k8s/qingfeng-$s-keys.yaml"
	{
		printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: qingfeng-%s-keys\n' "$s"
		printf '  labels:\n    app.kubernetes.io/part-of: qingfeng\ntype: Opaque\ndata:\n'
		for f in "$dir/$s"/*; do
			printf '  %s: %s\n' "$(basename "$f")" "$(base64 -w0 <"$f")"
		done
	} >"$out"
done

# public material is not secret
chmod 0755 "$dir" "$dir/public"
chmod 0644 "$dir/public"/*
for s in $services; do chmod 0750 "$dir/$s"; chmod 0640 "$dir/$s"/*; done
if [ -n "$owner" ]; then
	chown -R "$owner" "$dir"
fi
echo "make-keys: keys for $services in $dir" >&2
echo "make-keys: staff tokens in $tokens (hand them out, then delete the file)" >&2
