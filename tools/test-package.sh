#!/usr/bin/env bash
# Builds the Debian package (tools/package.sh) and checks it the way a user
# would meet it: lintian on the .deb, then apt-get install of it into a clean
# root of this machine's Debian release without Swift (debootstrap
# --variant=minbase, from the machine's own Debian mirror), which pulls its
# Depends, and in that root:
#   - no Swift runtime anywhere, and the binary finds every library it loads;
#   - --version prints the package's version, --help what the build machine's
#     run of the same binary prints;
#   - decode of a golden image prints its manifest byte for byte, encode of
#     that manifest gives the image byte for byte, verify accepts a real
#     kernel's capture, and a file that is no image fails with status 1 and
#     the error line;
#   - bash loads the completion and completes the subcommands.
# The man page is rendered with groff, which must not warn.
#
# Needs root (debootstrap, chroot) and Debian's registry. Takes 1 to 2
# minutes beyond the builds on 2 cores. DEB=path checks that package instead
# of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
phase_start=$start
phase() { local now; now=$(date +%s); echo "test-package: $1 in $((now - phase_start)) s"; phase_start=$now; }
fail() { echo "test-package: $*" >&2; exit 1; }

bash tools/install-system-packages.sh debootstrap lintian groff-base

work="$(mktemp -d "${TMPDIR:-/tmp}/luo-serialize-deb.XXXXXX")"
root="$(mktemp -d "${TMPDIR:-/tmp}/luo-serialize-root.XXXXXX")"
trap 'umount "$root/proc" 2> /dev/null || true; rm -rf --one-file-system "$root" "$work"' EXIT

if [ -z "${DEB:-}" ]; then
    # The build's output goes on to stderr as it comes (tee to the inherited
    # descriptor: reopening /dev/stderr would truncate a log file).
    bash tools/package.sh | tee "$work/package.out" >&2
    deb="$(tail -n 1 "$work/package.out")"
    phase "package built"
else
    deb="$DEB"
fi
[ -f "$deb" ] || fail "no package at '$deb'"

# What the package holds, unpacked on this machine.
mkdir "$work/deb"
dpkg-deb -x "$deb" "$work/deb"
host_bin="$work/deb/usr/bin/luo-serialize"

# lintian: no error or warning (the overrides the package ships aside).
lintian --fail-on error,warning "$deb"

# The man page renders without a roff warning.
warnings="$(gzip -dc "$work/deb/usr/share/man/man1/luo-serialize.1.gz" | groff -mandoc -Tutf8 -ww -z 2>&1)"
[ -z "$warnings" ] || fail "the man page renders with warnings: $warnings"
phase "lintian and man page checked"

# The clean root, from the mirror this machine's apt uses for its release.
. /etc/os-release
mirror="$(apt-get indextargets --format '$(REPO_URI)' "Codename: $VERSION_CODENAME" 'Identifier: Packages' \
    'Component: main' 2>/dev/null | head -n 1)"
debootstrap --variant=minbase "$VERSION_CODENAME" "$root" $mirror > "$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap failed"; }
# /proc, as on every running system: the Swift runtime reads the command's
# arguments from /proc/self/cmdline (without it, every command line is empty).
mount -t proc proc "$root/proc"
phase "clean $VERSION_CODENAME root made"

in_root() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive chroot "$root" "$@"; }
cp "$deb" "$root/tmp/luo-serialize.deb"
in_root apt-get install -y -qq /tmp/luo-serialize.deb > /dev/null
in_root dpkg-query -W -f='${Status}\n' libfdt1 | grep -qx 'install ok installed' \
    || fail "installing the package did not bring libfdt1"
phase "package installed with its dependencies"

swift_files="$(find "$root" -xdev \( -name 'libswiftCore*' -o -name 'libFoundation*' -o -name swift \) -print)"
[ -z "$swift_files" ] || fail "the clean root holds Swift: $swift_files"
ldd_out="$(in_root ldd /usr/bin/luo-serialize)"
if grep -q 'not found' <<< "$ldd_out"; then fail "the installed binary misses libraries: $ldd_out"; fi

version="$(dpkg-deb -f "$deb" Version)"
[ "$(in_root luo-serialize --version)" = "$version" ] || fail "--version is not $version"
in_root luo-serialize --help > "$root/tmp/help.txt"
"$host_bin" --help | cmp - "$root/tmp/help.txt" || fail "--help differs in the clean root"

golden=Fixtures/v7.3/02-two-session-blocks
cp "$golden/image.kho" "$golden/input.json" Fixtures/kernel-captures/7.3/capture.kho "$root/tmp/"
in_root luo-serialize decode /tmp/image.kho | cmp - "$golden/input.json" \
    || fail "decode of $golden/image.kho is not $golden/input.json"
in_root luo-serialize encode /tmp/input.json -o /tmp/encoded.kho
cmp "$root/tmp/encoded.kho" "$golden/image.kho" || fail "encode of $golden/input.json is not $golden/image.kho"
verified="$(in_root luo-serialize verify /tmp/capture.kho)" || fail "verify of the 7.3 capture failed"
[ "$verified" = "$("$host_bin" verify Fixtures/kernel-captures/7.3/capture.kho | sed 's|^Fixtures/kernel-captures/7.3/|/tmp/|')" ] \
    || fail "verify of the 7.3 capture says: $verified"
printf 'no image' > "$root/tmp/garbage.kho"
status=0
error="$(in_root luo-serialize decode /tmp/garbage.kho 2>&1 > /dev/null)" || status=$?
[ "$status" -eq 1 ] || fail "decode of a file that is no image exited $status, not 1"
grep -q '^luo-serialize: /tmp/garbage.kho: is neither an FDT' <<< "$error" || fail "decode of a file that is no image says: $error"

completed="$(in_root bash -c 'source /usr/share/bash-completion/completions/luo-serialize
    COMP_WORDS=(luo-serialize de); COMP_CWORD=1; COMP_LINE="luo-serialize de"; COMP_POINT=${#COMP_LINE}
    _luo-serialize luo-serialize de luo-serialize; printf "%s\n" "${COMPREPLY[@]}"')"
grep -qx decode <<< "$completed" || fail "bash completes 'luo-serialize de' to: $completed"
phase "installed command checked"
echo "test-package: passed in $(( $(date +%s) - start )) s ($deb)"
