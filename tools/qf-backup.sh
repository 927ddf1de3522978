#!/bin/sh
# qf-backup.sh: back up and restore a qingfeng service's store (one LMDB
# environment) with LMDB's own tools. docs/OPERATIONS.md, "Back up and
# restore", says when a restore is safe; read it before restoring a producer.
#
#   qf-backup.sh backup DATA_DIR DEST_DIR
#       A consistent copy, also of a running service (mdb_copy -c: a read
#       transaction, compacted), into DEST_DIR/<name>-<UTC time>/ with
#       backup.txt: the source, the time and `qfctl store stat` (the store's
#       epoch and every stream's highest seq). Prints the backup's path.
#   qf-backup.sh restore [--audit URL] [--force] BACKUP DATA_DIR
#       The service must be stopped. The current DATA_DIR is kept beside it
#       (DATA_DIR.before-restore-<time>), the backup copied in. With --audit,
#       first compares the backup's streams with what the audit log has
#       already seen of them: a backup behind what consumers hold would have
#       the restored producer reuse seqs for new events, which consumers then
#       skip as duplicates, so the restore is refused unless --force.
#   qf-backup.sh check BACKUP
#       Opens the copy (mdb_stat) and prints its streams and databases.
#
# Tools: mdb_copy and mdb_stat (lmdb-utils); qfctl (PATH, QFCTL, or
# build/bin) for backup.txt and the --audit comparison, which also needs
# python3. In the container image all but python3 are present:
#   podman run --rm -v qingfeng_router-data:/var/lib/qingfeng -v "$PWD/backups:/backups" \
#       localhost/qingfeng:latest qf-backup backup /var/lib/qingfeng/data /backups
set -eu

die() { echo "qf-backup: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
qfctl=${QFCTL:-$(command -v qfctl 2>/dev/null || true)}
[ -n "$qfctl" ] || { [ -x "$here/../build/bin/qfctl" ] && qfctl=$here/../build/bin/qfctl; } || true
command -v mdb_copy >/dev/null || die "mdb_copy not found (apt-get install lmdb-utils)"

stat_of() { # DIR -> qfctl store stat, or nothing without qfctl
	if [ -n "$qfctl" ]; then "$qfctl" store stat "$1"; fi
}

# A process that has the store open keeps data.mdb open: look for one.
in_use() { # DIR
	target=$(cd "$1" && pwd)/data.mdb
	for fd in /proc/[0-9]*/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = "$target" ] && return 0
	done
	return 1
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
backup)
	[ $# -eq 2 ] || die "usage: qf-backup.sh backup DATA_DIR DEST_DIR"
	src=$1
	[ -f "$src/data.mdb" ] || die "$src holds no LMDB store (data.mdb)"
	name=$(basename "$(cd "$src/.." && pwd)")-$(basename "$src")
	at=$(date -u +%Y%m%dT%H%M%SZ)
	dst=$2/$name-$at
	mkdir -p "$dst"
	mdb_copy -c "$src" "$dst" || { rm -rf "$dst"; die "mdb_copy failed"; }
	{
		echo "source: $(cd "$src" && pwd)"
		echo "time: $at"
		echo "tool: mdb_copy -c (consistent read transaction; compacted)"
		stat_of "$dst"
	} >"$dst/backup.txt"
	rm -f "$dst/lock.mdb"
	echo "$dst"
	;;
check)
	[ $# -eq 1 ] || die "usage: qf-backup.sh check BACKUP"
	[ -f "$1/data.mdb" ] || die "$1 holds no data.mdb"
	mdb_stat -e "$1" >/dev/null || die "$1: mdb_stat cannot read it"
	stat_of "$1"
	rm -f "$1/lock.mdb"
	;;
restore)
	audit=
	force=0
	while [ $# -gt 0 ]; do
		case "$1" in
		--audit) audit=$2; shift 2 ;;
		--force) force=1; shift ;;
		*) break ;;
		esac
	done
	[ $# -eq 2 ] || die "usage: qf-backup.sh restore [--audit URL] [--force] BACKUP DATA_DIR"
	bk=$1
	dst=$2
	[ -f "$bk/data.mdb" ] || die "$bk holds no data.mdb"
	if [ -d "$dst" ] && in_use "$dst"; then
		die "$dst is in use by a running process: stop the service first"
	fi
	if [ -n "$audit" ]; then
		[ -n "$qfctl" ] || die "--audit needs qfctl"
		command -v python3 >/dev/null || die "--audit needs python3"
		"$qfctl" store stat "$bk" >"$bk/.restore-stat"
		rm -f "$bk/lock.mdb"
		python3 - "$audit" "$bk/.restore-stat" <<-'EOF' || { rm -f "$bk/.restore-stat"; [ "$force" = 1 ] || die "refused (--force to restore anyway)"; }
			import json, sys, urllib.request
			url, statf = sys.argv[1].rstrip("/"), sys.argv[2]
			mine = {}
			for line in open(statf):
			    f = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
			    if line.startswith("stream "):
			        mine[(f["producer"], f["epoch"], int(f["partition"]))] = int(f["seq"])
			with urllib.request.urlopen(url + "/v1/streams", timeout=10) as r:
			    streams = json.load(r)
			streams = streams.get("streams", streams) if isinstance(streams, dict) else streams
			producers = {p for p, _, _ in mine}
			epochs = {e for _, e, _ in mine}
			behind = []
			for s in streams:
			    p, e, part = s.get("producer"), str(s.get("epoch", "")).lower(), int(s.get("partition", 0))
			    if p in producers and e in epochs:
			        have = mine.get((p, e, part), 0)
			        if int(s.get("last_seq", 0)) > have:
			            behind.append("%s partition %d: audit saw seq %s, the backup ends at %d"
			                          % (p, part, s.get("last_seq"), have))
			if behind:
			    print("qf-backup: the backup is BEHIND what consumers already applied:", file=sys.stderr)
			    for b in behind:
			        print("  " + b, file=sys.stderr)
			    print("qf-backup: restored as is, the producer would reuse those seqs for new events and "
			          "consumers would skip them as duplicates (docs/OPERATIONS.md)", file=sys.stderr)
			    sys.exit(1)
			print("qf-backup: audit has seen nothing of this store beyond the backup (%d streams)" % len(mine))
		EOF
		rm -f "$bk/.restore-stat"
	fi
	at=$(date -u +%Y%m%dT%H%M%SZ)
	if [ -e "$dst" ]; then
		mv "$dst" "$dst.before-restore-$at"
		echo "qf-backup: the previous store is kept in $dst.before-restore-$at" >&2
	fi
	mkdir -p "$dst"
	cp "$bk/data.mdb" "$dst/data.mdb"
	echo "qf-backup: restored $bk into $dst; start the service" >&2
	;;
*)
	sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'
	[ -z "$cmd" ] || [ "$cmd" = -h ] || [ "$cmd" = --help ] || exit 2
	;;
esac
