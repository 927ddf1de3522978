#!/bin/sh
# bench-bus.sh BUILD: the backbone's figures beside raw ZeroMQ PUB/SUB with the
# same message size, measured in the same run (make bench-bus).
set -eu
BUILD=${1:-build}
B=$BUILD/bench/bench_bus
echo "# bench-bus on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ), store on $(df -h /tmp | awk 'NR==2{print $1}')"
for size in 256 1024; do
	echo "## payload $size bytes"
	"$B" all --count 200000 --size "$size"
done
