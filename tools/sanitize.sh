#!/usr/bin/env bash
# Runs the whole test suite under AddressSanitizer and ThreadSanitizer, each
# with its own scratch path (.build-asan, .build-tsan). XCTest's runner trips
# the leak checker, so only the Swift Testing suites run (--disable-xctest);
# every test in this package is a Swift Testing test.
#
#   tools/sanitize.sh            both
#   tools/sanitize.sh address    one of them (address or thread)
#
# Logs go to .build-asan/sanitize.log and .build-tsan/sanitize.log; the script
# fails if a test fails or a sanitizer reports anything.
set -euo pipefail
cd "$(dirname "$0")/.."
export SWIFT_BACKTRACE=enable=no
# Leaks the toolchain and the test suites themselves cause, each explained in
# tools/lsan.supp; every other leak is reported and fails the run.
export LSAN_OPTIONS="suppressions=$PWD/tools/lsan.supp:print_suppressions=1"
sanitizers=("$@")
[[ ${#sanitizers[@]} -gt 0 ]] || sanitizers=(address thread)
status=0
for sanitizer in "${sanitizers[@]}"; do
    case $sanitizer in
        address) scratch=.build-asan ;;
        thread) scratch=.build-tsan ;;
        *) echo "unknown sanitizer $sanitizer (address or thread)" >&2; exit 2 ;;
    esac
    mkdir -p "$scratch"
    log=$scratch/sanitize.log
    echo "== $sanitizer: swift test --sanitize=$sanitizer --disable-xctest (log: $log)"
    start=$(date +%s)
    set +e
    nice -n 10 swift test --scratch-path "$scratch" --sanitize="$sanitizer" --disable-xctest \
        >"$log" 2>&1
    rc=$?
    set -e
    end=$(date +%s)
    reports=$(grep -cE "^(==[0-9]+==ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|SUMMARY: (Address|Thread|Leak)Sanitizer)" "$log" || true)
    summary=$(grep -E "^✔ Test run|^✘ Test run" "$log" | tail -1 || true)
    echo "   exit $rc, $reports sanitizer reports, $((end - start)) s: ${summary:-no summary}"
    if [[ $rc -ne 0 || $reports -ne 0 ]]; then
        status=1
        grep -E "SUMMARY: |✘" "$log" | head -20 || true
    fi
done
exit $status
