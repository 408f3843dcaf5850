#!/usr/bin/env bash
# Swift vs C: builds the release LUOBenchmark and the C baseline
# (tools/c-baseline, gcc -O2 -lfdt), runs both on the same sizes in one go and
# prints, for each figure, the Swift time, the C time and the ratio Swift/C
# (on C_GENERATION, the one generation the C baseline writes); then the Swift
# cost per file of every generation in GENERATIONS beside REF_GENERATION's;
# then the cost per file over a range of sizes (the curve), and memfd copy
# throughput through the library (newest generation) as a fraction of plain
# memcpy.
#
#   bash tools/benchmark.sh            # everything (about three minutes)
#   QUICK=1 bash tools/benchmark.sh    # fewer repetitions, no 1 GiB memfd
#   GENERATIONS="7.1" bash tools/benchmark.sh   # measure fewer generations
#
# Each size runs in its own process (so peak RSS belongs to that size), each
# process repeats the measurement REPS times in-process and reports the median;
# ROUNDS (default 3) runs each process again and the script keeps the median
# of the rounds. Times are wall-clock (CLOCK_MONOTONIC).
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=${QUICK:-0}
ROUNDS=${ROUNDS:-3}
[ "$QUICK" = 1 ] && ROUNDS=1

# The Swift generations measured, newest first: each a release or a generation
# name as `LUOBenchmark records ... GENERATION` (KernelGeneration.lookup) takes
# it. A new generation is one more word here.
read -ra GENS <<<"${GENERATIONS:-7.3 7.1 7.0 kho-v2+luo-v1+memfd-v1}"
# The generation the C baseline writes and reads (byte-identical to Swift's).
C_GEN=7.1
# The generation the others are compared with: the pre-release kho-v2 every
# figure was measured on before v7.1.
REF_GEN=kho-v2+luo-v1+memfd-v1
# short column label of a generation: "7.1", "kho-v2"
tag() { echo "${1%%+*}"; }

bash tools/install-system-packages.sh
echo "building (release) ..." >&2
swift build -c release --scratch-path .build-bench --product LUOBenchmark >&2
mkdir -p .build-bench/c
gcc -O2 -Wall -o .build-bench/c/luo_baseline tools/c-baseline/luo_baseline.c -lfdt
SWIFT_BIN=.build-bench/release/LUOBenchmark
C_BIN=.build-bench/c/luo_baseline

base=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
work=$(mktemp -d "$base/luo-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# median of the numbers on stdin
med() { sort -n | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else printf "%.0f\n", (v[NR/2]+v[NR/2+1])/2}'; }
# value of key $2 in output file $1
val() { awk -v k="$2" '$1==k {print $2}' "$1"; }

# run_rounds OUTPREFIX CMD...: runs CMD ROUNDS times, one output file per round
run_rounds() {
    local prefix=$1; shift
    for r in $(seq 1 "$ROUNDS"); do "$@" > "$prefix.$r"; done
}
# key median over rounds
rmed() { for r in $(seq 1 "$ROUNDS"); do val "$1.$r" "$2"; done | med; }

# luo-v5 (7.3) at its limits and the cost per file from 1,000 to 1,000,000
# files: one image per process (`LUOBenchmark limits`), ROUNDS rounds, the
# median kept. `enc`/`dec` are the steady state: the model to the image in
# memory and back, each repeated in-process, memory handed back by the
# allocator and the image's pages already mapped, the median kept; `1st` is
# each one's first repetition in the process, which also pays for fresh
# pages (encode: the kernel clearing the arena's) and the mapping's page
# faults (decode), plus the runtime's first calls; writing the file and
# mapping it are measured once each (`write ms`, `map us`). Peak RSS is shown
# as growth over the runtime's own start (rss_start_kb), per file and against
# the image's bytes (raw-data files: the image is all structure, no
# contents). LIMITS=0 skips this section, LIMITS_ONLY=1 runs only it.
limits_header() {
    printf "%-24s %9s %7s %7s | %7s %7s %7s %7s | %8s %7s | %9s %9s %8s %10s\n" "sessions x files" "files" "s-blks" "f-chain" \
        "enc ns" "dec ns" "enc 1st" "dec 1st" "write ms" "map us" "image B/f" "RSS B/f" "RSS MB" "RSS/image"
}
limits_section() {
    echo
    echo "luo-v5 (7.3) at its limits: one image, raw-data files; ns per file; RSS = peak growth over the runtime's start:"
    limits_header
    local points=("10000 10 5 10000x10" "100 10000 5 100x10000" "510000 1 3 510000x1(session-chain-full)"
                  "1 630000 3 1x630000(file-chain-full)" "510000 2 3 510000x2")
    [ "$QUICK" = 1 ] && points=("10000 10 3 10000x10" "100 10000 3 100x10000" "510000 1 2 510000x1(session-chain-full)")
    local point s f reps label
    for point in "${points[@]}"; do
        read -r s f reps label <<<"$point"
        run_rounds "$work/limits-$label" "$SWIFT_BIN" limits "$s" "$f" "$reps" "$work"
        limits_row "$work/limits-$label" "$label"
    done

    echo
    echo "luo-v5 cost per file from 1,000 to 1,000,000 files (100 files per session; ns per file, RSS growth per file):"
    limits_header
    local curve_points=(10 30 100 300 1000 3000 10000)
    [ "$QUICK" = 1 ] && curve_points=(10 100 1000 10000)
    for s in "${curve_points[@]}"; do
        reps=$(( s >= 3000 ? 7 : s >= 300 ? 15 : 51 ))
        run_rounds "$work/lcurve-$s" "$SWIFT_BIN" limits "$s" 100 "$reps" "$work"
        limits_row "$work/lcurve-$s" "${s}x100"
    done
    for key in encode_ns decode_ns encode_first_ns decode_first_ns; do
        for s in "${curve_points[@]}"; do
            awk -v t="$(rmed "$work/lcurve-$s" "$key")" -v fl="$(val "$work/lcurve-$s.1" files)" 'BEGIN { print t/fl }'
        done | sort -g | awk -v k="${key%_ns}" '{ v[NR] = $1 } END {
            printf "%-13s %6.1f to %6.1f ns per file, max/min %.2fx%s\n", k ":", v[1], v[NR], v[NR]/v[1],
                   (k ~ /first/ ? " (first repetition: not the steady state)" : " (target 1.5x)") }'
    done
    [ "${CALLGRIND:-0}" = 1 ] && limits_instructions
    return 0
}

# CALLGRIND=1: the same curve in instructions (valgrind --tool=callgrind,
# repeatable on a loaded machine): each point runs with R and R+D
# repetitions, and the difference / D is one repetition's steady-state
# count (first-call costs drop out). valgrind gives up on the release
# binary's debug info, so it runs a copy stripped of it (symbols kept).
# memset's `rep stosb` counts one instruction per byte: zeroing a page
# shows as ~4,000 instructions.
limits_instructions() {
    command -v valgrind > /dev/null || { echo "(CALLGRIND=1: valgrind not installed)"; return 0; }
    local bin="$work/bench-nodebug" s r1 r2 f
    cp "$SWIFT_BIN" "$bin" && strip --strip-debug "$bin"
    echo
    echo "luo-v5 instructions per file (callgrind, one repetition in steady state; 100 files per session):"
    printf "%-24s %9s | %10s %10s\n" "sessions x files" "files" "enc instr" "dec instr"
    local counts=()
    for s in 10 100 1000 10000; do
        if [ "$s" -ge 1000 ]; then r1=1 r2=2; else r1=11 r2=21; fi
        for r in "$r1" "$r2"; do
            mkdir -p "$work/cg-$s-$r"
            valgrind --tool=callgrind --callgrind-out-file="$work/cg-$s-$r.out" "$bin" limits "$s" 100 "$r" "$work/cg-$s-$r" \
                > /dev/null 2>&1
            callgrind_annotate --inclusive=yes "$work/cg-$s-$r.out" 2>/dev/null > "$work/cg-$s-$r.txt"
        done
        f=$((s * 100))
        counts+=("$(awk -v f="$f" -v d="$((r2 - r1))" -v a="$work/cg-$s-$r1.txt" -v b="$work/cg-$s-$r2.txt" '
            function get(file, pat,   line, n) { while ((getline line < file) > 0) if (line ~ pat) { split(line, p, " "); gsub(",", "", p[1]); n = p[1]; break } close(file); return n }
            BEGIN { e = (get(b, "WriterV6encode") - get(a, "WriterV6encode")) / d / f
                    r = (get(b, "ReaderO6decode_4file") - get(a, "ReaderO6decode_4file")) / d / f
                    printf "%s %.1f %.1f", f, e, r }')")
        read -r f e r <<<"${counts[-1]}"
        printf "%-24s %9d | %10.1f %10.1f\n" "${s}x100" "$f" "$e" "$r"
    done
    printf "%s\n" "${counts[@]}" | awk '{ e[NR] = $2; d[NR] = $3 } END {
        emin = emax = e[1]; dmin = dmax = d[1]
        for (i = 2; i <= NR; i++) { if (e[i] < emin) emin = e[i]; if (e[i] > emax) emax = e[i]; if (d[i] < dmin) dmin = d[i]; if (d[i] > dmax) dmax = d[i] }
        printf "encode: max/min %.2fx, decode: max/min %.2fx (instructions per file)\n", emax/emin, dmax/dmin }'
}

# limits_row PREFIX LABEL: one row of the limits tables, medians over rounds.
limits_row() {
    local prefix=$1 label=$2
    awk -v l="$label" -v fl="$(val "$prefix.1" files)" -v sb="$(val "$prefix.1" session_blocks)" \
        -v fc="$(val "$prefix.1" longest_file_chain)" -v ib="$(val "$prefix.1" image_bytes)" \
        -v se="$(rmed "$prefix" encode_ns)" -v sd="$(rmed "$prefix" decode_ns)" \
        -v fe="$(rmed "$prefix" encode_first_ns)" -v fd="$(rmed "$prefix" decode_first_ns)" \
        -v wr="$(rmed "$prefix" write_ns)" -v mp="$(rmed "$prefix" map_ns)" \
        -v r0="$(rmed "$prefix" rss_start_kb)" -v rm="$(rmed "$prefix" maxrss_kb)" 'BEGIN {
        g = (rm - r0) * 1024
        printf "%-24s %9d %7d %7d | %7.1f %7.1f %7.1f %7.1f | %8.1f %7.1f | %9.1f %9.1f %8.1f %9.2fx\n",
            l, fl, sb, fc, se/fl, sd/fl, fe/fl, fd/fl, wr/1e6, mp/1e3, ib/fl, g/fl, g/1048576, g/ib }'
}

if [ "${LIMITS_ONLY:-0}" = 1 ]; then
    echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start; rounds: $ROUNDS"
    limits_section
    exit 0
fi

echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(uname -sr)"
echo "swift: $(swift --version 2>/dev/null | head -1)"
echo "gcc: $(gcc --version | head -1); libfdt $(dpkg-query -W -f='${Version}' libfdt-dev 2>/dev/null || echo '?')"
echo "rounds: $ROUNDS (median), image files in $base"
echo "generations (Swift): ${GENS[*]}; C baseline: $C_GEN; compared with: $REF_GEN"
echo

# sessions files images reps label
sizes=(
    "1 1 1 201 1x1"
    "100 100 1 51 100x100"
    "819 128 1 21 819x128(max)"
    "819 128 10 7 10x(max):10-images"
)
[ "$QUICK" = 1 ] && sizes=("1 1 1 51 1x1" "100 100 1 11 100x100" "819 128 1 5 819x128(max)" "819 128 10 3 10x(max):10-images")

# Every size runs the C baseline, then Swift in each generation; the C
# generation's Swift images are compared with C's right after they are written.
echo "Swift vs C, generation $C_GEN:"
printf "%-22s %9s | %13s %13s %7s | %13s %13s %7s | %9s %9s %6s\n" \
    "sessions x files" "files" "encode Swift" "encode C" "ratio" "decode Swift" "decode C" "ratio" "RSS Swift" "RSS C" "ratio"
for size in "${sizes[@]}"; do
    read -r s f n reps label <<<"$size"
    run_rounds "$work/c-$label" "$C_BIN" records "$s" "$f" "$n" "$reps" "$work"
    for g in "${GENS[@]}" "$REF_GEN"; do
        [ -e "$work/swift-$g-$label.1" ] && continue
        run_rounds "$work/swift-$g-$label" "$SWIFT_BIN" records "$s" "$f" "$n" "$reps" "$work" "$g"
        [ "$g" = "$C_GEN" ] || continue
        for i in $(seq 0 $((n - 1))); do
            cmp -s "$work/swift-$i.kho" "$work/c-$i.kho" || { echo "image $i of $label: Swift and C images differ" >&2; exit 1; }
        done
    done
    sw="$work/swift-$C_GEN-$label"
    [ -e "$sw.1" ] || { echo "C_GEN $C_GEN is not in GENERATIONS" >&2; exit 1; }
    se=$(rmed "$sw" encode_ns); ce=$(rmed "$work/c-$label" encode_ns)
    sd=$(rmed "$sw" decode_ns); cd=$(rmed "$work/c-$label" decode_ns)
    sm=$(rmed "$sw" maxrss_kb); cm=$(rmed "$work/c-$label" maxrss_kb)
    files=$(val "$sw.1" files)
    awk -v l="$label" -v fl="$files" -v se="$se" -v ce="$ce" -v sd="$sd" -v cd="$cd" -v sm="$sm" -v cm="$cm" 'BEGIN {
        printf "%-22s %9d | %10.1f us %10.1f us %6.2fx | %10.1f us %10.1f us %6.2fx | %6.1f MB %6.1f MB %5.2fx\n",
            l, fl, se/1e3, ce/1e3, se/ce, sd/1e3, cd/1e3, sd/cd, sm/1024, cm/1024, sm/cm }'
done
echo "(images byte-identical between Swift and C at every size)"

echo
echo "Swift per generation: ns per file (encode, decode), peak RSS, and the ratio to $REF_GEN:"
printf "%-22s %9s | %-24s | %9s %9s %8s | %9s %9s\n" \
    "sessions x files" "files" "generation" "enc ns" "dec ns" "RSS" "enc/ref" "dec/ref"
for size in "${sizes[@]}"; do
    read -r s f n reps label <<<"$size"
    ref="$work/swift-$REF_GEN-$label"
    re=$(rmed "$ref" encode_ns); rd=$(rmed "$ref" decode_ns)
    for g in "${GENS[@]}"; do
        sw="$work/swift-$g-$label"
        awk -v l="$label" -v fl="$(val "$sw.1" files)" -v g="$(val "$sw.1" generation)" \
            -v se="$(rmed "$sw" encode_ns)" -v sd="$(rmed "$sw" decode_ns)" -v sm="$(rmed "$sw" maxrss_kb)" \
            -v re="$re" -v rd="$rd" 'BEGIN {
            printf "%-22s %9d | %-24s | %9.1f %9.1f %5.1f MB | %8.2fx %8.2fx\n",
                l, fl, g, se/(fl ? fl : 1), sd/(fl ? fl : 1), sm/1024, se/re, sd/rd }'
    done
done

echo
echo "token lookup: every file of one image found by (session name, token); Swift only, generation $C_GEN:"
printf "%-22s %9s | %14s %14s %8s\n" "sessions x files" "files" "first(where:)" "HandoverIndex" "speedup"
for size in "${sizes[@]}"; do
    read -r s f n reps label <<<"$size"
    [ "$n" = 1 ] || continue
    awk -v l="$label" -v fl="$((s * f))" -v li="$(rmed "$work/swift-$C_GEN-$label" lookup_linear_ns)" \
        -v ix="$(rmed "$work/swift-$C_GEN-$label" lookup_index_ns)" 'BEGIN {
        printf "%-22s %9d | %11.3f ms %11.3f ms %7.1fx\n", l, fl, li/1e6, ix/1e6, (ix > 0 ? li/ix : 0) }'
done

echo
echo "cost per file (the curve; 128 files per session, one process per point, ns per file):"
curve_gens=("${GENS[@]}")
[[ " ${GENS[*]} " == *" $REF_GEN "* ]] || curve_gens+=("$REF_GEN")
header=$(printf "%-12s %9s |" "sessions" "files")
for g in "${curve_gens[@]}"; do header+=$(printf " %10s" "enc $(tag "$g")"); done
header+=$(printf " %10s |" "enc C")
for g in "${curve_gens[@]}"; do header+=$(printf " %10s" "dec $(tag "$g")"); done
header+=$(printf " %10s" "dec C")
echo "$header"
curve=("8 128 1" "64 128 1" "256 128 1" "512 128 1" "819 128 1" "819 128 2" "819 128 5" "819 128 10")
[ "$QUICK" = 1 ] && curve=("64 128 1" "819 128 1" "819 128 10")
for point in "${curve[@]}"; do
    read -r s f n <<<"$point"
    reps=$(( n > 1 ? 5 : 11 ))
    fl=$((s * f * n))
    "$C_BIN" records "$s" "$f" "$n" "$reps" "$work" > "$work/curve-c"
    enc="" dec=""
    for g in "${curve_gens[@]}"; do
        "$SWIFT_BIN" records "$s" "$f" "$n" "$reps" "$work" "$g" > "$work/curve-swift"
        enc+=$(awk -v t="$(val "$work/curve-swift" encode_ns)" -v fl="$fl" 'BEGIN { printf " %10.1f", t/fl }')
        dec+=$(awk -v t="$(val "$work/curve-swift" decode_ns)" -v fl="$fl" 'BEGIN { printf " %10.1f", t/fl }')
    done
    enc+=$(awk -v t="$(val "$work/curve-c" encode_ns)" -v fl="$fl" 'BEGIN { printf " %10.1f |", t/fl }')
    dec+=$(awk -v t="$(val "$work/curve-c" decode_ns)" -v fl="$fl" 'BEGIN { printf " %10.1f", t/fl }')
    printf "%-12d %9d |%s%s\n" "$((s * n))" "$fl" "$enc" "$dec"
done

echo
echo "memfd copy through the library (into the image, then out into a new memfd) vs memcpy of the same bytes;"
echo "model API on the newest generation (its memfd handler), LiveUpdate on the generation its orchestrator writes:"
printf "%-8s | %-34s | %10s %10s | %10s %10s | %10s %10s\n" "size" "path" "in GB/s" "out GB/s" "in/memcpy" "out/memcpy" "both GB/s" "both/memcpy"
mem_sizes=(1048576 67108864 1073741824)
[ "$QUICK" = 1 ] && mem_sizes=(1048576 67108864)
for bytes in "${mem_sizes[@]}"; do
    reps=$(( bytes >= 1073741824 ? 3 : bytes >= 67108864 ? 5 : 21 ))
    run_rounds "$work/memfd-$bytes" "$SWIFT_BIN" memfd "$bytes" "$reps" "$work"
    run_rounds "$work/memcpy-$bytes" "$C_BIN" memcpy "$bytes" "$reps"
    mc=$(rmed "$work/memcpy-$bytes" memcpy_ns); mp=$(rmed "$work/memcpy-$bytes" memcpy_prefaulted_ns)
    name=$(awk -v b="$bytes" 'BEGIN { if (b >= 1073741824) printf "%d GiB", b/1073741824; else printf "%d MiB", b/1048576 }')
    for path in model lu; do
        label=$([ "$path" = model ] && echo "model API (FileContent.memfd)" || echo "LiveUpdate MemfdHandler")
        tin=$(rmed "$work/memfd-$bytes" "${path}_in_ns"); tout=$(rmed "$work/memfd-$bytes" "${path}_out_ns")
        awk -v n="$name" -v l="$label" -v b="$bytes" -v ti="$tin" -v to="$tout" -v mc="$mc" 'BEGIN {
            printf "%-8s | %-34s | %10.2f %10.2f | %9.0f%% %9.0f%% | %10.2f %9.0f%%\n",
                n, l, b/ti, b/to, 100*mc/ti, 100*mc/to, 2*b/(ti+to), 100*2*mc/(ti+to) }'
    done
    awk -v n="$name" -v b="$bytes" -v mc="$mc" -v mp="$mp" 'BEGIN {
        printf "%-8s | %-34s | %10.2f GB/s into a malloc'"'"'d buffer, %.2f GB/s into a touched one\n", n, "memcpy (C)", b/mc, b/mp }'
done
echo
echo "ratios are Swift/C (lower is better); times are medians; GB/s are 10^9 bytes per second."
echo "memfd: 'in' = read the memfd, FileContent.memfd, encode (LiveUpdate: preserve + reboot); 'out' = readImage, a new"
echo "memfd with the contents (LiveUpdate: loadIncoming + retrieveFile). Percentages are of memcpy of the same bytes into"
echo "a malloc'd buffer (glibc gives fresh pages above 32 MiB, as it does for the library's own buffers)."

[ "${LIMITS:-1}" = 0 ] || limits_section

# Streaming handovers (a 4 GiB memfd, 64 of 64 MiB) beside cp: its own script.
if [ "${STREAM:-1}" = 1 ]; then bash tools/benchmark-stream.sh; fi
