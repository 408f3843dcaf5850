#!/usr/bin/env bash
# Streaming handovers: one 4 GiB memfd and 64 memfds of 64 MiB through
# MemfdHandler, each step in its own process with its own peak RSS:
#   encode   = fill the memfds (untimed), preserve + reboot writing the image
#   verify   = KHOImageReader.readImage (every structure; contents untouched)
#   retrieve = loadIncoming + retrieveFile of every memfd
# beside cp of the same bytes: the image to tmpfs (disk -> shmem, retrieve's
# direction; also verify's read yardstick) and back to disk followed by sync
# of the copy (shmem -> disk, fsync'ed, encode's direction).
#
#   bash tools/benchmark-stream.sh             # run by tools/benchmark.sh too
#   STREAM_DIR=/some/disk bash tools/benchmark-stream.sh
#
# The image goes to STREAM_DIR (default .build-bench/stream, on disk); the
# run needs about 4 GiB of disk and 8 GiB of memory (memfds and tmpfs).
set -euo pipefail
cd "$(dirname "$0")/.."

swift build -c release --scratch-path .build-bench --product LUOBenchmark >&2
SWIFT_BIN=.build-bench/release/LUOBenchmark
sdir=${STREAM_DIR:-.build-bench/stream}
mkdir -p "$sdir"
shm=/dev/shm
{ [ -d "$shm" ] && [ -w "$shm" ]; } || shm=$sdir
work=$(mktemp -d)
trap 'rm -rf "$work" "$sdir/stream.kho" "$sdir/copy" "$shm/luo-stream-cp"' EXIT
val() { awk -v k="$2" '$1==k {print $2}' "$1"; }
ns_now() { date +%s%N; }

echo "streaming handovers: seconds, throughput (GB/s = 1e9 bytes/s) and peak RSS per step, cp of the same bytes beside"
printf "%-16s %-9s %9s %9s %9s %7s %11s\n" "memfds" "step" "seconds" "GB/s" "cp GB/s" "of cp" "peak RSS"
for config in "1 4294967296" "64 67108864"; do
    read -r count bytes <<<"$config"
    total=$((count * bytes))
    img="$sdir/stream.kho"
    declare -A t r
    for step in encode verify retrieve; do
        "$SWIFT_BIN" stream "$step" "$count" "$bytes" "$img" > "$work/$step"
        t[$step]=$(val "$work/$step" ns); r[$step]=$(val "$work/$step" maxrss_kb)
        if [ "$step" = encode ]; then
            sync "$img"
            s=$(ns_now); cp "$img" "$shm/luo-stream-cp"; e=$(ns_now); cp_in=$((e - s))
            s=$(ns_now); cp "$shm/luo-stream-cp" "$sdir/copy"; sync "$sdir/copy"; e=$(ns_now); cp_out=$((e - s))
            rm -f "$shm/luo-stream-cp" "$sdir/copy"
        fi
    done
    for step in encode verify retrieve; do
        cpt=$([ "$step" = encode ] && echo "$cp_out" || echo "$cp_in")
        awk -v l="$count x $((bytes >> 20)) MiB" -v s="$step" -v t="${t[$step]}" -v c="$cpt" -v b="$total" -v r="${r[$step]}" 'BEGIN {
            printf "%-16s %-9s %9.2f %9.2f %9.2f %6.0f%% %7d MiB\n", l, s, t/1e9, b/t, b/c, 100*c/t, r/1024 }'
    done
    rm -f "$img"
done
echo "encode is beside cp tmpfs -> disk + sync; verify and retrieve beside cp disk -> tmpfs. 'of cp' = cp time / step time."
