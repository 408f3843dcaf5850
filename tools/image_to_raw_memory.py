#!/usr/bin/env python3
"""image_to_raw_memory.py IMAGE.kho OUT.raw - the physical memory a .kho
image holds, as a raw file whose offset is the physical address (so encode
the image from a low --base): the import fuzzer's seeds."""
import struct
import sys

import libfdt

image = open(sys.argv[1], "rb").read()
index = libfdt.Fdt(image[: struct.unpack(">I", image[4:8])[0]])
node = index.first_subnode(0)
with open(sys.argv[2], "wb") as out:
    while True:
        phys, size = struct.unpack(">QQ", bytes(index.getprop(node, "reg")))
        offset = struct.unpack(">Q", bytes(index.getprop(node, "offset")))[0]
        out.seek(phys)
        out.write(image[offset : offset + size])
        try:
            node = index.next_subnode(node)
        except libfdt.FdtException:
            break
