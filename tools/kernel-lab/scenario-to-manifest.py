#!/usr/bin/python3
"""scenario-to-manifest.py - turn a kernel-lab scenario (scenario.txt, format in
its header comment) into a luo-serialize manifest (JSON) holding exactly the
bytes init.c writes into each memfd, so an image can be encoded from the
same scenario and injected (capture.sh --inject) for stage 2 to check:

  tools/kernel-lab/scenario-to-manifest.py tools/kernel-lab/scenario.txt > m.json
  luo-serialize encode m.json --base 0x10000000 -o img.kho

Options:
  --compatible C   memfd handler compatible (default memfd-v1, for v7.0 and
                   v6.19; the kernels from 7.1 on write memfd-v2: pass it with --seals)
  --seals          add "seals" to each memfd (what F_GET_SEALS returns: the
                   given seals, or 0x1 = F_SEAL_SEAL for a plain memfd); memfd-v2 only
  --test-flbs      add the three LIVEUPDATE_TEST FLBs the kernels register on
                   the memfd handler (liveupdate-test-flb-v0..2, data
                   0xfeedf00dcafebee0 + i, count = number of memfds)
  --liveupdate-number N   (default 1)

The content function must stay identical to fill() in init.c.
"""
import argparse
import base64
import json
import sys

M64 = (1 << 64) - 1


def fnv1a64(s: bytes) -> int:
    h = 0xCBF29CE484222325
    for c in s:
        h ^= c
        h = (h * 0x100000001B3) & M64
    return h


def mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def fill(seed: int, token: int, off: int, length: int) -> bytes:
    out = bytearray(length)
    k = (token * 0x9E3779B97F4A7C15) & M64
    i = 0
    while i < length:
        o = off + i
        w = mix(seed ^ k ^ (((o >> 3) * 0xD6E8FEB86659FD93) & M64)).to_bytes(8, "little")
        n = min(8 - (o & 7), length - i)
        out[i : i + n] = w[o & 7 : (o & 7) + n]
        i += n
    return bytes(out)


def parse_range(s):
    a, b = s.split(":")
    return int(a, 0), int(b, 0)


def parse(path):
    sessions = []
    for lineno, raw in enumerate(open(path, "rb").read().decode("latin-1").split("\n"), 1):
        line = raw.rstrip("\r").lstrip(" \t")
        if not line or line.startswith("#"):
            continue
        if line.startswith("session "):
            name = line[8:]
            if not 1 <= len(name.encode("latin-1")) <= 63:
                raise SystemExit(f"{path}:{lineno}: session name must be 1..63 bytes")
            sessions.append({"name": name, "files": []})
        elif line.startswith("memfd "):
            if not sessions:
                raise SystemExit(f"{path}:{lineno}: memfd before any session")
            tok = line[6:].split()
            f = {"token": int(tok[0], 0), "size": int(tok[1], 0), "sealing": False,
                 "seals": None, "pos": 0, "write": [], "falloc": []}
            for t in tok[2:]:
                if t == "sealing":
                    f["sealing"] = True
                elif t.startswith("seals="):
                    f["seals"] = int(t[6:], 0)
                elif t.startswith("pos="):
                    f["pos"] = int(t[4:], 0)
                elif t.startswith("write="):
                    f["write"].append(parse_range(t[6:]))
                elif t.startswith("falloc="):
                    f["falloc"].append(parse_range(t[7:]))
                else:
                    raise SystemExit(f"{path}:{lineno}: option {t!r} not understood")
            if not f["write"] and f["size"]:
                f["write"] = [(0, f["size"])]
            sessions[-1]["files"].append(f)
        else:
            raise SystemExit(f"{path}:{lineno}: line not understood")
    return sessions


def contents(session_name, f):
    seed = fnv1a64(session_name.encode("latin-1"))
    buf = bytearray(f["size"])
    for off, length in f["write"]:
        buf[off : off + length] = fill(seed, f["token"], off, length)
    return bytes(buf[: f["size"]])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario")
    ap.add_argument("--compatible", default="memfd-v1")
    ap.add_argument("--seals", action="store_true")
    ap.add_argument("--test-flbs", action="store_true")
    ap.add_argument("--liveupdate-number", type=int, default=1)
    a = ap.parse_args()
    sessions = parse(a.scenario)
    out = {"liveupdate_number": a.liveupdate_number, "sessions": []}
    nfiles = 0
    for s in sessions:
        files = []
        for f in s["files"]:
            memfd = {"size": f["size"], "pos": f["pos"],
                     "contents_base64": base64.b64encode(contents(s["name"], f)).decode()}
            if a.seals:
                memfd["seals"] = (f["seals"] or 0) if f["sealing"] else 1
            files.append({"token": f["token"], "compatible": a.compatible, "memfd": memfd})
            nfiles += 1
        out["sessions"].append({"name": s["name"], "files": files})
    if a.test_flbs and nfiles:
        out["flb"] = [{"name": f"liveupdate-test-flb-v{i}", "data": hex(0xFEEDF00DCAFEBEE0 + i),
                       "count": nfiles} for i in range(3)]
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
