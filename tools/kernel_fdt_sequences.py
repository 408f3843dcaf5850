#!/usr/bin/python3
"""Replays the kernel's FDT call sequences for the LUO / KHO handover with
pylibfdt (python3-libfdt, Debian), independently of luo-serialize's Swift
code, and writes the finished blob (`totalsize` bytes) to stdout.

Run it with /usr/bin/python3: pylibfdt is installed for the system Python only.

    kernel_fdt_sequences.py luo-fdt LIVEUPDATE_NUMBER SESSION_HEADER_PHYS FLB_HEADER_PHYS
        luo_fdt_setup + luo_session_setup_outgoing + luo_flb_setup_outgoing
        (kernel/liveupdate/luo_core.c, luo_session.c, luo_flb.c).
    kernel_fdt_sequences.py kho-root MEMORY_MAP_PHYS [NAME=PHYS ...]
        kho_out_fdt_setup (kernel/liveupdate/kexec_handover.c), then one
        kho_add_subtree(NAME, PHYS) per argument, in order (kho-v2).
    kernel_fdt_sequences.py kho-root-v3 MEMORY_MAP_PHYS [NAME=PHYS:SIZE ...]
        The same for Linux v7.1's kho-v3: compatible "kho-v3", and each
        kho_add_subtree(NAME, PHYS, SIZE) sets "preserved-data" then
        "blob-size" (v7.1 kexec_handover.c).

Numbers may be decimal or 0x-prefixed hex. The kernel's u64 properties are
the raw in-memory bytes of the value (little-endian on x86-64 and arm64).
"""
import struct
import sys

import libfdt

PAGE_SIZE = 4096


def raw_u64(value):
    """The bytes of fdt_property(fdt, name, &value, sizeof(value))."""
    return struct.pack("<Q", value)


def luo_fdt(liveupdate_number, session_header, flb_header):
    sw = libfdt.FdtSw(PAGE_SIZE)
    sw.finish_reservemap()
    sw.begin_node("")
    sw.property_string("compatible", "luo-v1")
    sw.property("liveupdate-number", raw_u64(liveupdate_number))
    sw.begin_node("luo-session")
    sw.property_string("compatible", "luo-session-v2")
    sw.property("luo-session-header", raw_u64(session_header))
    sw.end_node()
    sw.begin_node("luo-flb")
    sw.property_string("compatible", "luo-flb-v1")
    sw.property("luo-flb-header", raw_u64(flb_header))
    sw.end_node()
    sw.end_node()
    return sw.as_fdt()


def kho_root(memory_map, subtrees, compatible="kho-v2"):
    sw = libfdt.FdtSw(PAGE_SIZE)
    sw.finish_reservemap()
    sw.begin_node("")
    sw.property_string("compatible", compatible)
    sw.property("preserved-memory-map", raw_u64(memory_map))
    sw.end_node()
    fdt = sw.as_fdt()
    for subtree in subtrees:
        # kho_add_subtree: fdt_open_into to a page, fdt_add_subnode under
        # the root, fdt_setprop "preserved-data" (and from kho-v3 on
        # "blob-size"), fdt_pack.
        name, phys = subtree[0], subtree[1]
        fdt.resize(PAGE_SIZE)
        node = fdt.add_subnode(0, name)
        fdt.setprop(node, "preserved-data", raw_u64(phys))
        if len(subtree) > 2:
            fdt.setprop(node, "blob-size", raw_u64(subtree[2]))
        fdt.pack()
    return fdt


def number(text):
    return int(text, 0)


def main(argv):
    if len(argv) >= 2 and argv[1] == "luo-fdt" and len(argv) == 5:
        fdt = luo_fdt(number(argv[2]), number(argv[3]), number(argv[4]))
    elif len(argv) >= 3 and argv[1] == "kho-root":
        subtrees = []
        for item in argv[3:]:
            name, _, phys = item.partition("=")
            subtrees.append((name, number(phys)))
        fdt = kho_root(number(argv[2]), subtrees)
    elif len(argv) >= 3 and argv[1] == "kho-root-v3":
        subtrees = []
        for item in argv[3:]:
            name, _, rest = item.partition("=")
            phys, _, size = rest.partition(":")
            subtrees.append((name, number(phys), number(size)))
        fdt = kho_root(number(argv[2]), subtrees, compatible="kho-v3")
    else:
        sys.stderr.write(__doc__)
        return 2
    blob = bytes(fdt.as_bytearray())[: fdt.totalsize()]
    sys.stdout.buffer.write(blob)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
