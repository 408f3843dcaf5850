#!/usr/bin/python3
"""Prints every node and property of an FDT as JSON, read with python3-libfdt.

An independent reader for the cross-checks: the tests compare what it sees in
each fixture .dtb with what luo-serialize decoded. Values are hex strings of
the raw bytes; the caller interprets them (kernel u64s are little-endian).
Run with /usr/bin/python3 (pylibfdt is not importable from other Pythons).
"""
import json
import sys

import libfdt


def walk(fdt, offset, path, out):
    props = {}
    prop = fdt.first_property_offset(offset, libfdt.QUIET_NOTFOUND)
    while prop >= 0:
        p = fdt.get_property_by_offset(prop)
        props[p.name] = bytes(p).hex()
        prop = fdt.next_property_offset(prop, libfdt.QUIET_NOTFOUND)
    out[path] = props
    child = fdt.first_subnode(offset, libfdt.QUIET_NOTFOUND)
    while child >= 0:
        name = fdt.get_name(child)
        walk(fdt, child, ("/" if path == "/" else path + "/") + name, out)
        child = fdt.next_subnode(child, libfdt.QUIET_NOTFOUND)


def main():
    with open(sys.argv[1], "rb") as f:
        fdt = libfdt.Fdt(f.read())
    out = {}
    walk(fdt, 0, "/", out)
    json.dump({"totalsize": fdt.totalsize(), "version": fdt.version(), "nodes": out}, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
