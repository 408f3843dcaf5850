#!/usr/bin/env bash
# Regenerates every golden fixture in Fixtures/<generation>/<case>/ from tools/fixture_inputs.py:
# the input manifest, the .kho image, the extracted KHO root and LUO FDTs, and
# `dtc -I dtb -O dts` text of each. Run from anywhere; never edit fixtures by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product luo-serialize >/dev/null
bin="$(swift build --show-bin-path)/luo-serialize"
cases=$(python3 tools/fixture_inputs.py Fixtures)
for case in $cases; do
    dir="Fixtures/$case"
    "$bin" encode "$dir/input.json" -o "$dir/image.kho"
    "$bin" extract "$dir/image.kho" --fdt kho -o "$dir/kho-root.dtb"
    dtc -q -I dtb -O dts -o "$dir/kho-root.dts" "$dir/kho-root.dtb"
    if [[ "$case" == v7.3/* ]]; then
        # From v7.2 the LUO blob is the 32-byte packed luo_ser, not an FDT.
        "$bin" extract "$dir/image.kho" --fdt luo -o "$dir/luo.bin"
    else
        "$bin" extract "$dir/image.kho" --fdt luo -o "$dir/luo.dtb"
        dtc -q -I dtb -O dts -o "$dir/luo.dts" "$dir/luo.dtb"
    fi
    dtc -q -I dtb -O dts -o "$dir/index.dts" "$dir/image.kho"
    echo "regenerated $dir"
done
