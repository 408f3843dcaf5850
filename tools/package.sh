#!/usr/bin/env bash
# Builds the Debian package of the luo-serialize command into OUT (default:
# .build-deb/, ignored by git) and prints its path on the last line:
#
#   tools/package.sh [OUT]
#   apt-get install ./.build-deb/luo-serialize_<version>_<arch>.deb
#
# The binary is a release build with the Swift runtime and Foundation linked
# in statically (--static-swift-stdlib), so the package needs no Swift on the
# machine it is installed on: only libc, libstdc++, libgcc and Debian's libfdt1,
# the shared libraries it still loads. Its Depends line is computed from them
# by dpkg-shlibdeps. The package holds the stripped binary, the man page and
# the bash, zsh and fish completions (tools/generate-completions-and-manual.sh
# makes them), and the copyright file (tools/debian-copyright.sh).
#
# Environment: RELEASE_SCRATCH_PATH (default .build-release) is the release build
# folder; MAINTAINER ("Name <address>") the package's Maintainer field, by
# default the author of the last commit.
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-.build-deb}"
scratch="${RELEASE_SCRATCH_PATH:-.build-release}"
package=luo-serialize

# libfdt-dev to build against; dpkg-dev for dpkg-shlibdeps; binutils for strip
# and readelf.
bash tools/install-system-packages.sh dpkg-dev binutils

# The release binary with the Swift runtime and Foundation inside, linked
# with "-z now" as Debian's hardening flags ask (every relocation resolved at
# load time, then read-only). This folder is for this build alone: other
# flags would compile every module again.
build=(swift build -c release --static-swift-stdlib --scratch-path "$scratch" -Xlinker -z -Xlinker now)
"${build[@]}" --product "$package"
built="$("${build[@]}" --show-bin-path)/$package"
dynamic_swift="$(readelf -d "$built" | grep NEEDED | grep -E 'libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime' || true)"
if [ -n "$dynamic_swift" ]; then
    echo "package: $built still loads the Swift runtime dynamically:" >&2
    echo "$dynamic_swift" >&2
    exit 1
fi

version="$("$built" --version)"
architecture="$(dpkg --print-architecture)"
maintainer="${MAINTAINER:-$(git log -1 --format='%an <%ae>')}"

stage="$out/stage"
rm -rf "$stage"
mkdir -p "$stage/DEBIAN"
stage="$(cd "$stage" && pwd)"

# The binary, stripped as Debian's packaging tools strip it (it keeps the
# Swift metadata sections, which are allocated, and loses the debug info).
install -D -m 0755 "$built" "$stage/usr/bin/$package"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/$package"

# Man page and completions, from the generator's own debug build in .build:
# the text is the same, and tools/test.sh builds that folder anyway. (Not in
# the release folder: without --static-swift-stdlib every module compiles
# again, and the next static build compiles them all once more.)
docs="$out/docs"
SCRATCH_PATH=.build CONFIGURATION=debug bash tools/generate-completions-and-manual.sh "$docs"
install -d -m 0755 "$stage/usr/share/man/man1"
gzip -9n < "$docs/man/$package.1" > "$stage/usr/share/man/man1/$package.1.gz"
chmod 0644 "$stage/usr/share/man/man1/$package.1.gz"
# bash-completion sources its scripts: no #! line.
install -d -m 0755 "$stage/usr/share/bash-completion/completions"
sed '1{/^#!/d}' "$docs/completions/$package.bash" > "$stage/usr/share/bash-completion/completions/$package"
chmod 0644 "$stage/usr/share/bash-completion/completions/$package"
install -D -m 0644 "$docs/completions/_$package" "$stage/usr/share/zsh/vendor-completions/_$package"
install -D -m 0644 "$docs/completions/$package.fish" "$stage/usr/share/fish/vendor_completions.d/$package.fish"

# Yams compiles libyaml into the binary; lintian is told that this is known.
install -D -m 0644 tools/debian-lintian-overrides "$stage/usr/share/lintian/overrides/$package"

# copyright and changelog, as Debian policy asks of every package.
install -d -m 0755 "$stage/usr/share/doc/$package"
bash tools/debian-copyright.sh "$scratch" > "$stage/usr/share/doc/$package/copyright"
chmod 0644 "$stage/usr/share/doc/$package/copyright"
commit="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
date_rfc2822="$(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")"
{
    echo "$package ($version) unstable; urgency=medium"
    echo
    echo "  * Built from commit $commit of the luo-serialize repository."
    echo
    echo " -- $maintainer  $date_rfc2822"
} | gzip -9n > "$stage/usr/share/doc/$package/changelog.gz"
chmod 0644 "$stage/usr/share/doc/$package/changelog.gz"

# Depends: the packages that hold the shared libraries the binary loads,
# with the versions their symbols need (dpkg-shlibdeps reads a source
# package's debian/control, so it runs in a scratch one).
shlibs_dir="$(mktemp -d)"
trap 'rm -rf "$shlibs_dir"' EXIT
mkdir "$shlibs_dir/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$package" "$package" > "$shlibs_dir/debian/control"
depends="$(cd "$shlibs_dir" && dpkg-shlibdeps -O "$stage/usr/bin/$package" | sed -n 's/^shlibs:Depends=//p')"
if ! grep -q 'libfdt1' <<< "$depends"; then
    echo "package: dpkg-shlibdeps found no libfdt1 in the binary's dependencies: '$depends'" >&2
    exit 1
fi

installed_size="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
cat > "$stage/DEBIAN/control" <<EOF
Package: $package
Version: $version
Architecture: $architecture
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $depends
Section: admin
Priority: optional
Description: serializer for Linux live update (LUO/KHO) handover state
 luo-serialize writes and reads the state a Linux kernel hands to the next
 one across a kexec live update, byte for byte as the kernel lays it out:
 the Kexec HandOver (KHO) root FDT, the Live Update Orchestrator (LUO)
 sessions, files and File-Lifecycle-Bound entries, and the preserved pages
 they point at, for every released kernel generation.
 .
 It encodes manifests (JSON or YAML) into KHO images, decodes and verifies
 images, the FDTs the kernel shows in debugfs and captured physical memory
 (raw files or ELF cores), extracts FDTs, retrieves preserved memfd contents
 and compares two handovers.
EOF
(cd "$stage" && find usr -type f -print0 | sort -z | xargs -0 md5sum) > "$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"
find "$stage" -type d -exec chmod 0755 {} +

deb="$out/${package}_${version}_${architecture}.deb"
dpkg-deb --build --root-owner-group "$stage" "$deb" > /dev/null
echo "$deb"
