#!/usr/bin/env python3
"""Writes the input manifest of every golden fixture case to Fixtures/<generation>/<case>/input.json.

Fixtures/v6.19/ and Fixtures/v7.0/ hold Linux v6.19's and v7.0's (kho-v1 + luo-v1 +
memfd-v1; v6.19 without FLBs).
Fixtures/kho-v2-prerelease/ holds the pre-release kho-v2 + luo-v1 + memfd-v1
generation's cases (the project's first eight); Fixtures/v7.1/ holds Linux
v7.1's (kho-v3 + luo-v1 + memfd-v2, with kexec-metadata); Fixtures/v7.3/ holds
Linux v7.2/v7.3's (kho-v4 + packed luo-v5 + memfd-v2, with kexec-metadata).

The inputs are deterministic: the same script always writes the same bytes.
Each case exercises one thing the issue names (empty state, limits, FLB, payload,
memfd); tools/regenerate-fixtures.sh turns them into images and FDT dumps.
"""
import base64
import json
import os
import sys


def pattern(length, seed):
    """Bytes that differ from page to page, so misplaced pages show."""
    return bytes((seed + i * 7 + (i >> 12) * 13) & 0xFF for i in range(length))


def b64(data):
    return base64.b64encode(data).decode("ascii")


def memfd_file(token, length, pos, seed):
    return {"token": token, "compatible": "memfd-v1",
            "memfd": {"size": length, "pos": pos, "contents_base64": b64(pattern(length, seed))}}


def memfd_v2_file(token, contents, pos, seals):
    return {"token": token, "compatible": "memfd-v2",
            "memfd": {"size": len(contents), "pos": pos, "seals": "0x%x" % seals,
                      "contents_base64": b64(contents)}}


PRERELEASE = "kho-v2+luo-v1+memfd-v1"


CASES = {
    "01-empty": {"liveupdate_number": 1, "sessions": [], "flb": []},
    "02-session-without-files": {
        "liveupdate_number": 1,
        "sessions": [{"name": "vm-idle", "files": []}],
        "flb": [],
    },
    "03-several-sessions": {
        "liveupdate_number": 4,
        "sessions": [
            {"name": "vm0", "files": [
                memfd_file(1, 10000, 4096, 1),
                {"token": 2, "compatible": "vfio-pci-v1", "data": "0xfedcba9876543210"},
                {"token": 3, "compatible": "iommufd-v1", "data": "0x0"},
            ]},
            {"name": "vm1", "files": [
                {"token": 18446744073709551615, "compatible": "kvm-vm-v1", "data": "0x1"},
                memfd_file(7, 0, 0, 2),
            ]},
            {"name": "vm2-empty", "files": []},
        ],
        "flb": [],
    },
    "04-longest-names": {
        "liveupdate_number": 2,
        "sessions": [{"name": "s" * 63, "files": [
            {"token": 42, "compatible": "c" * 47, "data": "0x2a"},
        ]}],
        "flb": [{"name": "f" * 47, "data": "0x1", "count": 1}],
    },
    "05-flb-entries": {
        "liveupdate_number": 9,
        "sessions": [{"name": "iommu-users", "files": [
            {"token": 1, "compatible": "vfio-pci-v1", "data": "0x1000"},
            {"token": 2, "compatible": "vfio-pci-v1", "data": "0x2000"},
        ]}],
        "flb": [
            {"name": "iommu-core-v1", "data": "0xabcdef0000", "count": 2},
            {"name": "kvm-global-v1", "data": "0x0", "count": 1},
        ],
    },
    "06-multi-page-payload": {
        "liveupdate_number": 1,
        "sessions": [{"name": "blobs", "files": [
            {"token": 5, "compatible": "test-blob-v1", "payload_base64": b64(pattern(3 * 4096 + 100, 5))},
            {"token": 6, "compatible": "test-blob-v1", "payload_base64": b64(pattern(4096, 6))},
        ]}],
        "flb": [],
    },
    "07-max-sessions": {
        "liveupdate_number": 1,
        "sessions": [{"name": "session-%03d" % i, "files": []} for i in range(819)],
        "flb": [],
    },
    "08-max-files": {
        "liveupdate_number": 1,
        "sessions": [{"name": "busy", "files": [
            {"token": 1000 + i, "compatible": "dev-v1", "data": "0x%x" % (i * 0x10000)}
            for i in range(128)
        ]}],
        "flb": [],
    },
}


# A sparse file: a written page, a hole of two pages (zeros; v7.1 allocates
# and zeroes a folio for it at preserve), a partial last page.
SPARSE = pattern(4096, 11) + bytes(2 * 4096) + pattern(1000, 12)

V7_1_CASES = {
    "01-empty": {"kernel": "7.1", "liveupdate_number": 1, "sessions": [], "flb": []},
    "02-sealed-sparse-memfds": {
        "kernel": "7.1",
        "liveupdate_number": 2,
        "sessions": [
            {"name": "vm0", "files": [
                memfd_v2_file(1, SPARSE, 4096, 0x1),
                memfd_v2_file(2, pattern(3 * 4096, 13), 0, 0x0),
                memfd_v2_file(3, pattern(100, 14), 100, 0x1f),
                memfd_v2_file(4, b"", 0, 0x20),
                {"token": 5, "compatible": "vfio-pci-v1", "data": "0xfedcba9876543210"},
            ]},
            {"name": "vm1-idle", "files": []},
        ],
        "flb": [],
        "kexec_metadata": {"previous_release": "7.1.8", "kexec_count": 1},
    },
    "03-flb-payload-metadata": {
        "kernel": "7.1",
        "liveupdate_number": 5,
        "sessions": [{"name": "iommu-users", "files": [
            {"token": 1, "compatible": "vfio-pci-v1", "data": "0x1000"},
            {"token": 2, "compatible": "test-blob-v1", "payload_base64": b64(pattern(2 * 4096 + 10, 15))},
            memfd_v2_file(3, pattern(5000, 16), 5000, 0xe),
        ]}],
        "flb": [
            {"name": "iommu-core-v1", "data": "0xabcdef0000", "count": 2},
            {"name": "kvm-global-v1", "data": "0x0", "count": 1},
        ],
        "kexec_metadata": {"previous_release": "7.1.8-amd64-" + "x" * 52, "kexec_count": 4},
    },
}


# v7.2/v7.3: 51 sessions fill a session block and 63 files a file block;
# the cases cross both boundaries.
V7_3_CASES = {
    "01-empty": {"kernel": "7.3", "liveupdate_number": 1, "sessions": [], "flb": []},
    "02-two-session-blocks": {
        "kernel": "7.3",
        "liveupdate_number": 2,
        "sessions": [
            {"name": "vm0", "files": [
                memfd_v2_file(1, SPARSE, 4096, 0x1),
                memfd_v2_file(2, b"", 0, 0x0),
                memfd_v2_file(3, pattern(100, 14), 100, 0xf),
                {"token": 4, "compatible": "vfio-pci-v1", "data": "0xfedcba9876543210"},
            ]},
        ] + [{"name": "idle-%02d" % i, "files": []} for i in range(51)],
        "flb": [],
        "kexec_metadata": {"previous_release": "7.3.4", "kexec_count": 1},
    },
    "03-two-file-blocks-flb": {
        "kernel": "7.2",
        "liveupdate_number": 6,
        "sessions": [{"name": "many-files", "files": [
            {"token": i, "compatible": "vfio-pci-v1", "data": "0x%x" % (0x1000 * i)} for i in range(64)
        ] + [memfd_v2_file(64, pattern(5000, 16), 5000, 0xe)]}],
        "flb": [
            {"name": "iommu-core-v1", "data": "0xabcdef0000", "count": 2},
            {"name": "kvm-global-v1", "data": "0x0", "count": 1},
        ],
        "kexec_metadata": {"previous_release": "7.2.13-amd64", "kexec_count": 3},
    },
}


# v7.0 and v6.19 (kho-v1): the memory map is a chunk list of per-order
# bitmaps; payloads of several orders give one chunk (and bitmap) per order.
V7_0_CASES = {
    "01-empty": {"kernel": "7.0", "liveupdate_number": 1, "sessions": [], "flb": []},
    "02-memfds-payloads-flb": {
        "kernel": "7.0",
        "liveupdate_number": 3,
        "sessions": [
            {"name": "vm0", "files": [
                memfd_file(1, 10000, 4096, 21),
                memfd_file(2, 0, 0, 22),
                {"token": 3, "compatible": "vfio-pci-v1", "data": "0xfedcba9876543210"},
                {"token": 4, "compatible": "test-blob-v1", "payload_base64": b64(pattern(3 * 4096 + 1, 23))},
                {"token": 5, "compatible": "test-blob-v1", "payload_base64": b64(pattern(40 * 4096, 24))},
            ]},
            {"name": "vm1-idle", "files": []},
        ],
        "flb": [
            {"name": "iommu-core-v1", "data": "0xabcdef0000", "count": 2},
            {"name": "kvm-global-v1", "data": "0x0", "count": 1},
        ],
    },
}

V6_19_CASES = {
    "01-empty": {"kernel": "6.19", "liveupdate_number": 1, "sessions": [], "flb": []},
    "02-memfds-payload-no-flb": {
        "kernel": "6.19",
        "liveupdate_number": 2,
        "sessions": [
            {"name": "vm0", "files": [
                memfd_file(1, 5000, 5000, 25),
                {"token": 2, "compatible": "test-blob-v1", "payload_base64": b64(pattern(2 * 4096, 26))},
            ]},
        ],
        "flb": [],
    },
}


def write_cases(root, generation_folder, cases, kernel=None):
    names = []
    for name, manifest in cases.items():
        if kernel is not None:
            manifest = dict([("kernel", kernel)] + list(manifest.items()))
        folder = os.path.join(root, generation_folder, name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "input.json"), "w") as out:
            json.dump(manifest, out, indent=2, sort_keys=False)
            out.write("\n")
        names.append(generation_folder + "/" + name)
    return names


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "Fixtures"
    names = write_cases(root, "kho-v2-prerelease", CASES, kernel=PRERELEASE)
    names += write_cases(root, "v6.19", V6_19_CASES)
    names += write_cases(root, "v7.0", V7_0_CASES)
    names += write_cases(root, "v7.1", V7_1_CASES)
    names += write_cases(root, "v7.3", V7_3_CASES)
    print("\n".join(names))


if __name__ == "__main__":
    main()
