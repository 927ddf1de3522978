#!/bin/sh
# make-base-image.sh: make docker.io/library/debian:bookworm-slim locally when
# no registry is reachable (these build machines), from Debian's own mirror
# with debootstrap. Real operators with a registry never need this.
#
# The tar is cached in ${QF_IMAGE_CACHE:-$HOME/.cache/qingfeng} so later runs
# take a second. Requires root (debootstrap).
set -eu
IMAGE=docker.io/library/debian:bookworm-slim
if podman image exists "$IMAGE" 2>/dev/null; then
	exit 0
fi
cache=${QF_IMAGE_CACHE:-$HOME/.cache/qingfeng}
tar="$cache/debian-bookworm-slim.tar"
mkdir -p "$cache"
if [ ! -s "$tar" ]; then
	mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' |
		awk '$2 == "bookworm" { print $1; exit }')
	mirror=${mirror:-http://deb.debian.org/debian/}
	root=$(mktemp -d /tmp/qf-rootfs-XXXXXX)
	trap 'rm -rf "$root"' EXIT
	echo "make-base-image: debootstrap bookworm from $mirror" >&2
	debootstrap --variant=minbase bookworm "$root" "$mirror" >/dev/null
	# the same apt sources as the host, so image builds install offline-ish
	cp /etc/apt/sources.list "$root/etc/apt/" 2>/dev/null || true
	mkdir -p "$root/etc/apt/sources.list.d"
	cp /etc/apt/sources.list.d/* "$root/etc/apt/sources.list.d/" 2>/dev/null || true
	rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* \
		"$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
	tar -C "$root" -cf "$tar" .
fi
podman import "$tar" "$IMAGE" >/dev/null
echo "make-base-image: $IMAGE ready" >&2
