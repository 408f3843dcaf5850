#!/usr/bin/env python3
"""Checks that every ```swift block of a guide preceded by a line
`<!-- example: FILE -->` appears verbatim in FILE of the example's sources,
so the guide shows code the tests compile and run.

usage: check-library-doc.py GUIDE.md SOURCE_DIR"""
import pathlib
import re
import sys

guide, sources = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
text = guide.read_text()
blocks = re.findall(r"<!-- example: (\S+) -->\s*\n```swift\n(.*?)```", text, re.S)
if not blocks:
    sys.exit(f"{guide}: no <!-- example: FILE --> blocks")
failed = False
for name, block in blocks:
    source = (sources / name).read_text()
    if block not in source:
        first = block.splitlines()[0] if block.strip() else "(empty)"
        print(f"{guide}: the block from {name} starting {first!r} is not in {sources / name}", file=sys.stderr)
        failed = True
if failed:
    sys.exit(1)
print(f"{guide}: {len(blocks)} example blocks match {sources}")
