#!/usr/bin/env bash
# Builds and runs Examples/CustomHandlerPackage: preserve into an image in
# one process, restore from it in the next. Checks first that the example
# imports only this package's products and that every Swift block of
# docs/LIBRARY.md marked `<!-- example: FILE -->` is the example's code.
set -euo pipefail
cd "$(dirname "$0")/.."
example=Examples/CustomHandlerPackage
start=$(date +%s)

# Only products (and the system library): no internal module.
if grep -rhE '^\s*(@testable\s+)?import ' "$example/Sources" | grep -vE '^\s*import (LiveUpdate|KHOImage|HandoverManifest|Glibc|Foundation)\s*$'; then
    echo "test-example-package: the example imports a module that is not a product" >&2
    exit 1
fi
python3 tools/check-library-doc.py docs/LIBRARY.md "$example/Sources/CustomHandlerExample"

swift build --package-path "$example"
bin="$(swift build --package-path "$example" --show-bin-path)/CustomHandlerExample"
image="$(mktemp -d)/handover.kho"
trap 'rm -rf "$(dirname "$image")"' EXIT
"$bin" preserve "$image"
"$bin" restore "$image"
echo "test-example-package: passed in $(( $(date +%s) - start )) s"
