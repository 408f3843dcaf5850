#!/usr/bin/python3
"""inject.py - helper of capture.sh (tools/kernel-lab), run while the guest is
stopped in machine_kexec (QEMU gdbstub breakpoint).

  inject.py check-fdt MEMFILE PHYS
      check that MEMFILE (guest RAM, file offset = physical address) holds an
      FDT at PHYS and print its root compatible and subnodes.
  inject.py inject IMAGE.kho MEMFILE PHYS
      write every region of the .kho image (docs/FORMAT.md section 1) into
      MEMFILE at its physical address, then copy the image's KHO root FDT page
      (index property `kho-fdt`) over the page at PHYS, where the outgoing
      kernel's own root FDT lies (its address travels in a kexec segment that
      purgatory checks by sha256, so the address itself is never patched).
      Every write is read back and verified.
  inject.py regions IMAGE.kho
      list the image's regions.
  inject.py make-test-image CAPDIR OUT.kho [BASE]
      mechanism test (no luo-serialize needed): a .kho container (FORMAT.md
      section 1) whose regions are, at BASE (default 0x10000000), two pages
      of a recognisable pattern, then a copy of the KHO root FDT page of the
      capture CAPDIR (memory.raw at kho-fdt-phys.txt); `kho-fdt` points to
      that copy. Injected into a run of the same kernel and scenario, the
      root FDT written over the kernel's own is the one a previous identical
      boot wrote, so stage 2 succeeds only if the injection put the right
      page at the right address and the layouts match.
  inject.py make-replay-image CAPDIR OUT.kho
      mechanism test with a positive outcome: the regions are every page of
      the captured handover state (the KHO root FDT page, every radix-tree
      node reachable from its `preserved-memory-map`, and every preserved
      block the leaf bitmaps mark, kho-v3/kho-v4 radix tree), at the
      addresses the capture had; `kho-fdt` is the capture's root FDT.
      Injected into another run of the same kernel and scenario, the next
      kernel finds the captured state instead of its own.
  inject.py extract MEMFILE PHYS OUTDIR
      write the complete handover blobs as they lie in memory at the
      breakpoint (debugfs kho/out/fdt is a truncated prefix, and debugfs
      shows subtree blobs as they were before reboot() filled them in):
      OUTDIR/kho-root.fdt (totalsize bytes), OUTDIR/sub/<name> (blob-size
      bytes at preserved-data, or the FDT's totalsize without blob-size), and
      OUTDIR/preserved-blocks.txt (every block of the radix tree: phys, order).
"""
import os
import sys

import libfdt

PAGE = 4096


def u64(fdt, node, prop):
    v = fdt.getprop(node, prop)
    b = bytes(v)
    if len(b) != 8:
        raise SystemExit(f"{prop}: length {len(b)} != 8")
    return int.from_bytes(b, "big")


def parse_image(path):
    data = open(path, "rb").read()
    fdt = libfdt.Fdt(data[: int.from_bytes(data[4:8], "big")])
    root = 0
    compat = fdt.getprop(root, "compatible").as_str()
    if compat != "luo-serialize,kho-image-v1":
        raise SystemExit(f"{path}: index compatible {compat!r} not understood")
    kho_fdt = u64(fdt, root, "kho-fdt")
    regions = []
    node = fdt.first_subnode(root, [libfdt.FDT_ERR_NOTFOUND])
    while node >= 0:
        name = fdt.get_name(node)
        if name.startswith("region@"):
            reg = bytes(fdt.getprop(node, "reg"))
            phys, size = int.from_bytes(reg[:8], "big"), int.from_bytes(reg[8:16], "big")
            off = u64(fdt, node, "offset")
            if phys % PAGE or size % PAGE or off % PAGE or off + size > len(data):
                raise SystemExit(f"{name}: bad region phys={phys:#x} size={size:#x} off={off:#x}")
            regions.append((phys, size, off))
        node = fdt.next_subnode(node, [libfdt.FDT_ERR_NOTFOUND])
    return data, kho_fdt, regions


def describe_fdt(buf, where):
    if buf[:4] != b"\xd0\x0d\xfe\xed":
        raise SystemExit(f"no FDT magic at {where}: {buf[:16].hex()}")
    total = int.from_bytes(buf[4:8], "big")
    fdt = libfdt.Fdt(bytes(buf[:total]))
    names = []
    node = fdt.first_subnode(0, [libfdt.FDT_ERR_NOTFOUND])
    while node >= 0:
        names.append(fdt.get_name(node))
        node = fdt.next_subnode(node, [libfdt.FDT_ERR_NOTFOUND])
    compat = fdt.getprop(0, "compatible").as_str()
    print(f"FDT at {where}: totalsize {total}, compatible {compat!r}, subnodes {names}")


def write_container(out, kho_fdt, regions):
    """regions: list of (phys, bytes) ascending; writes FORMAT.md section 1."""
    def build(offsets):
        sw = libfdt.FdtSw()
        for phys, data in regions:
            sw.add_reservemap_entry(phys, len(data))
        sw.finish_reservemap()
        sw.begin_node("")
        sw.property_string("compatible", "luo-serialize,kho-image-v1")
        sw.property_cell("#address-cells", 2)
        sw.property_cell("#size-cells", 2)
        sw.property_cell("page-size", PAGE)
        sw.property("kho-fdt", kho_fdt.to_bytes(8, "big"))
        for (phys, data), off in zip(regions, offsets):
            sw.begin_node(f"region@{phys:x}")
            sw.property("reg", phys.to_bytes(8, "big") + len(data).to_bytes(8, "big"))
            sw.property("offset", off.to_bytes(8, "big"))
            sw.end_node()
        sw.end_node()
        return bytes(sw.as_fdt().as_bytearray())
    index = build([0] * len(regions))
    first = (len(index) + PAGE - 1) // PAGE * PAGE
    offsets, o = [], first
    for phys, data in regions:
        offsets.append(o)
        o += len(data)
    index = build(offsets)
    assert (len(index) + PAGE - 1) // PAGE * PAGE == first
    with open(out, "wb") as f:
        f.write(index + bytes(first - len(index)))
        for phys, data in regions:
            f.write(data)


def radix_pages(mem, root_phys):
    """(set of radix node pages, list of (phys, order) preserved blocks)"""
    nodes, blocks = set(), []

    def rd(phys):
        mem.seek(phys)
        return mem.read(PAGE)

    def walk(phys, level, prefix):
        nodes.add(phys)
        page = rd(phys)
        if level == 0:
            for byte_i, b in enumerate(page):
                if not b:
                    continue
                for bit in range(8):
                    if b >> bit & 1:
                        key = prefix | (byte_i * 8 + bit)
                        order = 52 - (key.bit_length() - 1)
                        pa = (key ^ (1 << (52 - order))) << (12 + order)
                        blocks.append((pa, order))
            return
        for i in range(512):
            e = int.from_bytes(page[8 * i : 8 * i + 8], "little")
            if e:
                walk(e, level - 1, prefix | (i << (15 + 9 * (level - 1))))

    walk(root_phys, 5, 0)
    return nodes, blocks


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "extract":
        root, outdir = int(sys.argv[3], 0), sys.argv[4]
        os.makedirs(os.path.join(outdir, "sub"), exist_ok=True)
        with open(sys.argv[2], "rb") as m:
            m.seek(root)
            page = m.read(PAGE)
            total = int.from_bytes(page[4:8], "big")
            open(os.path.join(outdir, "kho-root.fdt"), "wb").write(page[:total])
            fdt = libfdt.Fdt(page[:total])
            node = fdt.first_subnode(0, [libfdt.FDT_ERR_NOTFOUND])
            while node >= 0:
                name = fdt.get_name(node)
                pd = fdt.getprop(node, "preserved-data", [libfdt.FDT_ERR_NOTFOUND])
                if pd is None:
                    pd = fdt.getprop(node, "fdt", [libfdt.FDT_ERR_NOTFOUND])
                if pd is not None:
                    pa = int.from_bytes(bytes(pd), "little")
                    bs = fdt.getprop(node, "blob-size", [libfdt.FDT_ERR_NOTFOUND])
                    m.seek(pa)
                    head = m.read(PAGE)
                    if bs is not None:
                        size = int.from_bytes(bytes(bs), "little")
                        m.seek(pa)
                        blob = m.read(size)
                    else:
                        blob = head[: int.from_bytes(head[4:8], "big")]
                    open(os.path.join(outdir, "sub", name), "wb").write(blob)
                    print(f"extract: sub/{name} at {pa:#x}, {len(blob)} bytes")
                node = fdt.next_subnode(node, [libfdt.FDT_ERR_NOTFOUND])
            mapp = int.from_bytes(bytes(fdt.getprop(0, "preserved-memory-map")), "little")
            if mapp:
                nodes, blocks = radix_pages(m, mapp)
                with open(os.path.join(outdir, "preserved-blocks.txt"), "w") as f:
                    f.write(f"# radix root {mapp:#x}; {len(nodes)} radix node pages (not preserved): "
                            + " ".join(hex(n) for n in sorted(nodes)) + "\n# phys order\n")
                    for pa, order in sorted(blocks):
                        f.write(f"{pa:#x} {order}\n")
                print(f"extract: {len(blocks)} preserved blocks, {len(nodes)} radix nodes")
        return
    if len(sys.argv) == 4 and sys.argv[1] == "make-replay-image":
        cap = sys.argv[2]
        root = int(open(os.path.join(cap, "kho-fdt-phys.txt")).read(), 0)
        with open(os.path.join(cap, "memory.raw"), "rb") as m:
            m.seek(root)
            rootpage = m.read(PAGE)
            describe_fdt(rootpage, f"capture {root:#x}")
            fdt = libfdt.Fdt(rootpage[: int.from_bytes(rootpage[4:8], "big")])
            mapp = int.from_bytes(bytes(fdt.getprop(0, "preserved-memory-map")), "little")
            nodes, blocks = radix_pages(m, mapp)
            pages = set(nodes) | {root}
            for pa, order in blocks:
                pages.update(pa + i * PAGE for i in range(1 << order))
            regions, cur = [], None
            for pg in sorted(pages):
                if cur and cur[0] + len(cur[1]) == pg:
                    cur[1].extend(b"")
                    m.seek(pg)
                    cur[1].extend(m.read(PAGE))
                else:
                    m.seek(pg)
                    cur = [pg, bytearray(m.read(PAGE))]
                    regions.append(cur)
        orders = {}
        for _, o in blocks:
            orders[o] = orders.get(o, 0) + 1
        write_container(sys.argv[3], root, [(p, bytes(b)) for p, b in regions])
        print(f"wrote {sys.argv[3]}: {len(nodes)} radix nodes (map root {mapp:#x}), "
              f"{len(blocks)} preserved blocks by order {dict(sorted(orders.items()))}, "
              f"{len(pages)} pages in {len(regions)} regions, kho-fdt {root:#x}")
        return
    if len(sys.argv) in (4, 5) and sys.argv[1] == "make-test-image":
        cap = sys.argv[2]
        base = int(sys.argv[4], 0) if len(sys.argv) == 5 else 0x10000000
        phys = int(open(os.path.join(cap, "kho-fdt-phys.txt")).read(), 0)
        with open(os.path.join(cap, "memory.raw"), "rb") as m:
            m.seek(phys)
            root = m.read(PAGE)
        describe_fdt(root, f"capture {phys:#x}")
        pattern = b"".join((b"LUOLAB-INJECT pg%d off%04x " % (i // PAGE, i % PAGE)).ljust(32, b".")
                           for i in range(0, 2 * PAGE, 32))
        write_container(sys.argv[3], base + 2 * PAGE, [(base, pattern + root)])
        print(f"wrote {sys.argv[3]}: region {base:#x} (3 pages), kho-fdt {base + 2 * PAGE:#x}")
        return
    if len(sys.argv) >= 4 and sys.argv[1] == "check-fdt":
        phys = int(sys.argv[3], 0)
        with open(sys.argv[2], "rb") as f:
            f.seek(phys)
            describe_fdt(f.read(PAGE), hex(phys))
        return
    if len(sys.argv) == 3 and sys.argv[1] == "regions":
        _, kho_fdt, regions = parse_image(sys.argv[2])
        print(f"kho-fdt {kho_fdt:#x}")
        for phys, size, off in regions:
            print(f"region phys {phys:#x} size {size:#x} file offset {off:#x}")
        return
    if len(sys.argv) == 5 and sys.argv[1] == "inject":
        data, kho_fdt, regions = parse_image(sys.argv[2])
        target = int(sys.argv[4], 0)
        memsize = os.path.getsize(sys.argv[3])
        fdt_page = None
        with open(sys.argv[3], "r+b") as mem:
            for phys, size, off in regions:
                if phys + size > memsize:
                    raise SystemExit(f"region {phys:#x}+{size:#x} beyond guest RAM ({memsize:#x})")
                if phys <= target < phys + size and kho_fdt != target:
                    raise SystemExit(f"region {phys:#x}+{size:#x} covers the kernel's root FDT {target:#x}")
                chunk = data[off : off + size]
                mem.seek(phys)
                mem.write(chunk)
                if phys <= kho_fdt < phys + size:
                    fdt_page = chunk[kho_fdt - phys : kho_fdt - phys + PAGE]
                print(f"wrote region phys {phys:#x} size {size:#x} (file offset {off:#x})")
            if fdt_page is None:
                raise SystemExit(f"kho-fdt {kho_fdt:#x} lies in no region")
            describe_fdt(fdt_page, f"image {kho_fdt:#x}")
            mem.seek(target)
            mem.write(fdt_page)
            print(f"copied image root FDT page {kho_fdt:#x} -> kernel root FDT page {target:#x}")
            mem.flush()
            os.fsync(mem.fileno())
            for phys, size, off in regions:
                mem.seek(phys)
                got = mem.read(size)
                want = bytearray(data[off : off + size])
                if phys <= kho_fdt < phys + size:
                    pass  # the image's own copy of the root stays where it is too
                if got != bytes(want):
                    raise SystemExit(f"read-back mismatch in region {phys:#x}")
            mem.seek(target)
            if mem.read(PAGE) != fdt_page:
                raise SystemExit("read-back mismatch at the root FDT page")
        print(f"inject OK: {len(regions)} regions, root FDT page copied to {target:#x}")
        return
    print(__doc__, file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    main()
