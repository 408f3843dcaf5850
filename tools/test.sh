#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine with Swift: installs the
# system packages, builds, and runs every test target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-system-packages.sh
# A separate package that depends on this one by path and imports only its
# products (Examples/CustomHandlerPackage, walked through in docs/LIBRARY.md):
# two custom handlers with a dependency and an FLB, handed over through an
# image from one process to the next. It builds in its own .build, only the
# LiveUpdate product's modules (no CLI, tests or benchmark).
bash tools/test-example-package.sh
# The Debian package: a static release build with the man page and
# completions, checked by lintian, installed into a clean Debian root without
# Swift and run there (tools/test-package.sh: 5 to 8 minutes cold on 2 cores,
# most of it the release build; its debug build is the suite's below).
bash tools/test-package.sh

# The package's own suite last, so its runner's closing line ends the log.
swift build --build-tests
swift test --skip-build
