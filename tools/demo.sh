#!/usr/bin/env bash
# The main job on the bundled example: installs what is needed, encodes
# Examples/handover.json into a KHO image, decodes it back and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-system-packages.sh
swift build --product luo-serialize
bin="$(swift build --show-bin-path)/luo-serialize"
out="${TMPDIR:-/tmp}/handover.kho"
"$bin" encode Examples/handover.json -o "$out"
"$bin" verify "$out"
"$bin" decode "$out" --format text
