#!/usr/bin/env bash
# Installs the Debian packages luo-serialize builds and tests against:
# libfdt-dev (the FDT engine), device-tree-compiler (dtc, fdtdump) and
# python3-libfdt (the cross-checks), and the packages named as arguments (what
# one step needs beyond them). Does nothing when they are all present.
#
#   tools/install-system-packages.sh [PACKAGE...]
set -euo pipefail
needed=(libfdt-dev device-tree-compiler python3-libfdt "$@")
missing=()
for package in "${needed[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}"
