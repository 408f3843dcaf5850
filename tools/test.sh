#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine with Swift: installs the
# system packages, builds, and runs every test target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-system-packages.sh
swift build --build-tests
swift test --skip-build
