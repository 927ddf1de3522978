#!/bin/sh
# install-deps.sh: install the Debian 12 packages qingfeng needs, and only
# those that are missing. The Makefile calls it before every build so that a
# fresh machine needs no manual step. As non-root it prints the exact
# apt-get line and stops (exit 1) instead of guessing at sudo.
#
#   tools/install-deps.sh [build|test|bench|container]   (default: build)
set -eu

profile=${1:-build}

# What the build and `make run` need.
build_pkgs="gcc make pkg-config libc6-dev
  libzmq3-dev libprotobuf-c-dev protobuf-c-compiler liblmdb-dev lmdb-utils
  libconfig-dev libmicrohttpd-dev libjansson-dev libsodium-dev
  libcurl4-openssl-dev libunistring-dev libqrencode-dev curl python3 ca-certificates"
# What `make test` adds: unit tests, sanitizers and fuzzing (clang), the real
# SMTP server for notifier tests (openssl makes its TLS certificate), the
# browser for page tests, an Ed25519 independent of ours for audit's receipt
# tests (python3-cryptography).
test_pkgs="libcmocka-dev clang libclang-rt-14-dev python3-aiosmtpd python3-cryptography openssl
  chromium fonts-wqy-zenhei iproute2 procps iptables"
# What `make bench-*` adds: load generator and the peers measured beside us.
bench_pkgs="wrk postgresql redis-server valgrind"
# What `make container-test` adds.
container_pkgs="podman runc debootstrap uidmap slirp4netns fuse-overlayfs podman-compose
  golang-github-containernetworking-plugin-dnsname"

case "$profile" in
  build) want="$build_pkgs" ;;
  test) want="$build_pkgs $test_pkgs" ;;
  bench) want="$build_pkgs $test_pkgs $bench_pkgs" ;;
  container) want="$build_pkgs $container_pkgs" ;;
  *) echo "install-deps.sh: unknown profile '$profile' (build|test|bench|container)" >&2; exit 2 ;;
esac

# The test tools Debian lacks (tests/js: an OpenAPI and JSON validator,
# axe-core) are installed by npm, pinned by its lock file: Debian's npm
# (with its nodejs) unless an npm is already on the PATH (a NodeSource
# install, say, which Debian's npm would conflict with).
case "$profile" in
  test|bench) command -v npm >/dev/null 2>&1 || want="$want npm" ;;
esac

missing=""
for p in $want; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$st" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

line="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
  echo "qingfeng needs these Debian packages. Run as root:" >&2
  echo "  apt-get update && $line" >&2
  exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2 || true
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >&2
