#!/usr/bin/python3
"""decode-serial.py SERIAL.LOG CAPDIR - helper of capture.sh.

Splits the serial log of one QEMU run into serial-stage1.log and
serial-stage2.log (at the second "Linux version" banner, i.e. the kexec'd
kernel) and decodes the hex blobs init.c printed:
  LUOLAB BLOB BEGIN <name> <size> / LUOLAB HEX <hex> / LUOLAB BLOB END <name>
into CAPDIR/debugfs/<name> (e.g. debugfs/out/fdt, debugfs/in/sub_fdts/LUO).
Lines from the kernel that interleave are ignored; the size is checked.
"""
import os
import re
import sys

log, cap = sys.argv[1], sys.argv[2]
text = open(log, "rb").read().decode("latin-1").replace("\r", "")
lines = text.split("\n")
banners = [i for i, l in enumerate(lines) if "Linux version " in l]
split = banners[1] if len(banners) > 1 else len(lines)
open(os.path.join(cap, "serial-stage1.log"), "w", encoding="latin-1").write("\n".join(lines[:split]) + "\n")
open(os.path.join(cap, "serial-stage2.log"), "w", encoding="latin-1").write("\n".join(lines[split:]) + "\n")

cur, size, buf, bad = None, 0, bytearray(), 0
hexre = re.compile(r"LUOLAB HEX ([0-9a-f]+)\s*$")
for l in lines:
    m = re.search(r"LUOLAB BLOB BEGIN (\S+) (\d+)", l)
    if m:
        cur, size, buf = m.group(1), int(m.group(2)), bytearray()
        continue
    if cur is None:
        continue
    m = hexre.search(l)
    if m:
        buf += bytes.fromhex(m.group(1))
        continue
    if re.search(r"LUOLAB BLOB END ", l):
        if len(buf) != size:
            print(f"decode-serial: {cur}: got {len(buf)} bytes, announced {size}", file=sys.stderr)
            bad += 1
        path = os.path.join(cap, "debugfs", cur)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "wb").write(buf)
        print(f"decode-serial: debugfs/{cur} ({len(buf)} bytes)")
        cur = None
sys.exit(1 if bad else 0)
