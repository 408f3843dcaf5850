#!/usr/bin/env bash
# Builds the libFuzzer targets of the package in Fuzz/ (swift build,
# -sanitize=fuzzer,address) and runs them with the golden fixtures and the
# regression corpus as seeds.
#
#   tools/fuzz.sh build [TARGET...]          build the targets (default: all five)
#   tools/fuzz.sh run TARGET [-runs N | -max_total_time S] [libFuzzer flags...]
#   tools/fuzz.sh replay [TARGET...]         run every Tests/Corpus file once
#   tools/fuzz.sh all RUNS                   run each target for RUNS executions
#
# TARGET is fdt, image, image-patch (a valid image with patches the input
# describes), import (captured memory from address 0) or manifest. Work corpora and crash files go to
# tools/fuzz/out/ (ignored by git); minimized findings belong in
# Tests/Corpus/TARGET/, which `swift test` replays. Runs at nice 19.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scratch=$root/.build-fuzz
out=$root/tools/fuzz/out
bin=$scratch/fuzz-bin
export SWIFT_BACKTRACE=enable=no   # or libFuzzer writes no crash file

# The fuzz package (Fuzz/Package.swift) against this one, every module
# sanitized: Swift with -sanitize=fuzzer,address (coverage, ASan and the
# libFuzzer runtime), C (Yams' CYaml) with fuzzer-no-link,address.
build_flags=(-c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -g
             -Xcc -fsanitize=fuzzer-no-link,address)

product_of() { # target -> the fuzz package's executable
    case $1 in
        fdt) echo FuzzFDT ;;
        image) echo FuzzImage ;;
        image-patch) echo FuzzImagePatch ;;
        import) echo FuzzImport ;;
        manifest) echo FuzzManifest ;;
        *) echo "unknown target $1" >&2; exit 2 ;;
    esac
}

fuzz_build() { # swift build arguments...
    nice -n 19 swift build --package-path "$root/Fuzz" --scratch-path "$scratch" "${build_flags[@]}" "$@" 2>&1 \
        | { grep -v "Cannot export local symbol '__asan" || true; }
}

build() { # [target...]; a running fuzzer keeps its binary (copied to a new file, then renamed)
    local targets=("$@") target release
    if [[ ${#targets[@]} -eq 0 ]]; then
        targets=(fdt image image-patch import manifest)
        fuzz_build
    else
        for target in "${targets[@]}"; do fuzz_build --product "$(product_of "$target")"; done
    fi
    release=$(swift build --package-path "$root/Fuzz" --scratch-path "$scratch" "${build_flags[@]}" --show-bin-path)
    mkdir -p "$bin"
    for target in "${targets[@]}"; do
        cp "$release/$(product_of "$target")" "$bin/fuzz-$target.new"
        mv "$bin/fuzz-$target.new" "$bin/fuzz-$target"
    done
    echo "built: $(ls "$bin" | tr "\n" " ")"
}

# A seed's name: its fixture folder, generation included (v7.1-01-empty).
name_of() { local d; d=$(dirname "$1"); echo "$(basename "$(dirname "$d")")-$(basename "$d")"; }

# Seeds: every fixture and example, split by target.
seed() { # target dir
    local target=$1 dir=$2
    mkdir -p "$dir"
    case $target in
        image)
               for f in Fixtures/*/*/image.kho; do cp "$f" "$dir/$(name_of "$f").kho"; done
               # a bare luo-v5 luo_ser (debugfs sub_fdts/LUO of v7.2+)
               for f in Fixtures/*/*/luo.bin; do cp "$f" "$dir/$(name_of "$f")-luo.bin"; done ;;
        import) # each fixture's state encoded from a low base, as raw memory from address 0
               swift build --product luo-serialize >/dev/null
               local cli tmp; cli="$(swift build --show-bin-path)/luo-serialize"; tmp=$(mktemp -d)
               for f in Fixtures/*/*/input.json; do
                   "$cli" encode "$f" --base 0x10000 -o "$tmp/image.kho" 2>/dev/null || continue
                   /usr/bin/python3 tools/image_to_raw_memory.py "$tmp/image.kho" "$dir/$(name_of "$f").raw"
               done
               rm -rf "$tmp" ;;
        fdt)   for f in Fixtures/*/*/kho-root.dtb Fixtures/*/*/luo.dtb; do
                   cp "$f" "$dir/$(name_of "$f")-$(basename "$f")"; done
               # the image index: the first totalsize bytes of each image
               for f in Fixtures/*/*/image.kho; do
                   size=$(od -An -tu1 -j4 -N4 "$f" | awk '{print $1*16777216+$2*65536+$3*256+$4}')
                   head -c "$size" "$f" > "$dir/$(name_of "$f")-index.dtb"; done ;;
        image-patch) printf '\0\0\0\0\0' > "$dir/no-patch" ;;
        manifest) for f in Fixtures/*/*/input.json; do cp "$f" "$dir/$(name_of "$f").json"; done
                  cp Examples/handover.json Examples/handover.yaml "$dir/" ;;
    esac
}

run() { # target [libFuzzer flags...]
    local target=$1; shift
    [[ -x $bin/fuzz-$target ]] || build
    local corpus=$out/$target/corpus seeds=$out/$target/seeds
    mkdir -p "$corpus" "$out/$target/artifacts" "$root/Tests/Corpus/$target"
    seed "$target" "$seeds"
    local extra=()
    [[ $target == manifest ]] && extra+=(-dict="$root/Fuzz/Manifest/manifest.dict")
    [[ $target == image ]] && extra+=(-max_len=262144 -dict="$root/Fuzz/Image/image.dict")
    [[ $target == fdt ]] && extra+=(-max_len=8192 -dict="$root/Fuzz/FDT/fdt.dict")
    [[ $target == image-patch ]] && extra+=(-max_len=512)
    [[ $target == import ]] && extra+=(-max_len=1048576 -dict="$root/Fuzz/Image/image.dict")
    # -timeout=10: a unit running 10 s is a hang (libFuzzer's default, 1200 s,
    # let one go unreported for twenty minutes).
    nice -n 19 "$bin/fuzz-$target" "${extra[@]}" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$out/$target/artifacts/" "$@" \
        "$corpus" "$seeds" "$root/Tests/Corpus/$target"
}

replay() {
    local targets=("$@")
    [[ ${#targets[@]} -gt 0 ]] || targets=(fdt image image-patch import manifest)
    for target in "${targets[@]}"; do
        [[ -x $bin/fuzz-$target ]] || build
        files=()
        for f in "$root"/Tests/Corpus/"$target"/*; do [[ $f == *.expected ]] || files+=("$f"); done
        [[ ${#files[@]} -gt 0 && -e ${files[0]} ]] || continue
        "$bin/fuzz-$target" -runs=1 "${files[@]}"
    done
}

# In braces, so bash has read the whole command (and exits) before the file
# could change under a long run.
{
case ${1:-} in
    build) shift; build "$@" ;;
    run) shift; run "$@" ;;
    replay) shift; replay "$@" ;;
    all) for t in fdt image image-patch import manifest; do run "$t" -runs="${2:?runs}"; done ;;
    *) sed -n '2,12p' "$0"; exit 2 ;;
esac
exit $?
}
