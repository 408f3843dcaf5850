#!/usr/bin/env bash
# Prints the Debian copyright file (machine-readable format 1.0) of the
# luo-serialize package that tools/package.sh builds. The binary carries code
# of others linked in statically: the Swift runtime and Foundation with ICU's
# data (from the toolchain), swift-argument-parser and Yams with the libyaml
# it compiles in (from the build folder's checkouts); each is named with its
# license, whose text is read from the toolchain and the checkouts at build
# time.
#
#   tools/debian-copyright.sh SCRATCH_PATH
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="$1"

toolchain_license="$(dirname "$(readlink -f "$(command -v swift)")")/../share/swift/LICENSE.txt"
yams_license="$scratch/checkouts/Yams/LICENSE"
for file in "$toolchain_license" "$yams_license"; do
    [ -f "$file" ] || { echo "debian-copyright: no $file" >&2; exit 1; }
done

# A license text as a field's continuation lines: one leading space, "."
# for an empty line.
as_field_text() { sed -e 's/[[:space:]]*$//' -e 's/^$/./' -e 's/^/ /'; }

cat <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: luo-serialize
Comment: /usr/bin/luo-serialize is statically linked against the Swift
 runtime, Foundation (with ICU's data), swift-argument-parser and Yams (with
 libyaml), which
 are covered by the paragraphs below the first one (their Files patterns
 name the projects they come from).

Files: *
Copyright: the luo-serialize maintainers
License: none-declared
 The luo-serialize repository has no license file: no license terms have
 been declared for its own code.

Files: swift-runtime/* swift-foundation/* swift-argument-parser/*
Copyright: Apple Inc. and the Swift project authors
License: Apache-2.0-with-Swift-exception

Files: swift-foundation-icu/*
Copyright: 2016 and later Unicode, Inc. and others
License: Unicode-ICU
 ICU's terms of use: https://www.unicode.org/copyright.html

Files: Yams/*
Copyright: 2016 JP Simard
License: Expat

Files: Yams/Sources/CYaml/*
Copyright: 2006-2016 Kirill Simonov
           2017-2020 Ingy döt Net
License: Expat

License: Expat
EOF
sed -n '/^Permission/,$p' "$yams_license" | as_field_text
cat <<'EOF'

License: Apache-2.0-with-Swift-exception
 On Debian systems, the full text of the Apache License 2.0 is in
 /usr/share/common-licenses/Apache-2.0. The Swift project adds:
 .
EOF
sed -n '/Runtime Library Exception/,$p' "$toolchain_license" | sed '1,/^$/d' | sed '/./,$!d' | as_field_text
