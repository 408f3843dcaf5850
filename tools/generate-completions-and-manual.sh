#!/usr/bin/env bash
# Generates luo-serialize's shell completions (bash, zsh, fish) and its man
# page from the argument parser, into OUT (default: .build-docs/, ignored by
# git). The generated files are build outputs: they are not committed.
#
#   tools/generate-completions-and-manual.sh [OUT]
#
# Environment: SCRATCH_PATH (default .build) is the build folder to use;
# CONFIGURATION (default debug) is the build configuration.
#
# Install, for example:
#   cp OUT/completions/luo-serialize.bash /etc/bash_completion.d/luo-serialize
#   cp OUT/completions/_luo-serialize     /usr/local/share/zsh/site-functions/
#   cp OUT/completions/luo-serialize.fish ~/.config/fish/completions/
#   cp OUT/man/luo-serialize.1            /usr/local/share/man/man1/
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-.build-docs}"
scratch="${SCRATCH_PATH:-.build}"
configuration="${CONFIGURATION:-debug}"

swift build --scratch-path "$scratch" -c "$configuration" --product luo-serialize
bin="$(swift build --scratch-path "$scratch" -c "$configuration" --show-bin-path)/luo-serialize"

mkdir -p "$out/completions" "$out/man"
"$bin" --generate-completion-script bash > "$out/completions/luo-serialize.bash"
"$bin" --generate-completion-script zsh > "$out/completions/_luo-serialize"
"$bin" --generate-completion-script fish > "$out/completions/luo-serialize.fish"

# argument-parser's GenerateManual command plugin: one page for the command
# and its subcommands (add --multi-page for one page per subcommand).
swift package --scratch-path "$scratch" generate-manual --configuration "$configuration" \
    --authors "luo-serialize maintainers"
manual="$scratch/plugins/GenerateManual/outputs/LUOSerializeCLI/luo-serialize.1"
if [ ! -f "$manual" ]; then
    manual="$(find "$scratch/plugins" -name 'luo-serialize.1' -print -quit 2>/dev/null || true)"
fi
[ -n "$manual" ] && [ -f "$manual" ] || { echo "generate-manual produced no luo-serialize.1" >&2; exit 1; }
# The commands' discussions separate paragraphs with empty lines, which roff
# reads as a blank output line and warns about: mdoc's paragraph macro instead.
sed 's/^$/.Pp/' "$manual" > "$out/man/luo-serialize.1"

echo "completions: $out/completions/"
echo "man page:    $out/man/luo-serialize.1 (view with: man -l $out/man/luo-serialize.1)"
