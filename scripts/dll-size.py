#!/usr/bin/env python3
"""What fills a ywx.dll: its sections, and its bytes by crate.

    scripts/dll-size.py [--top N] DLL [MAP]

MAP is the linker map the MinGW link writes beside the DLL (build.rs:
OUT_DIR/ywx.map; scripts/build-windows.sh copies it to dist/<folder>/).

- A shipped (stripped) DLL has no symbols: the code and constants are split
  by the object they came from, as the map lists them: Rust (every crate,
  one object after LTO), SQLite, ring's C and assembly, the MinGW runtime.
- An unstripped DLL (scripts/dll-size.sh links one) has its functions'
  names: each function's and named table's bytes go to its crate
  (`ring::digest::...` -> ring, `<serde_json::Value as ...>` -> serde_json),
  C functions to their object. Constants are split by object only (most
  have no name); the unwind tables (.pdata/.xdata on x64, .eh_frame on
  x86) grow with the code.

Needs objdump and nm of the DLL's MinGW target (binutils-mingw-w64).
"""

import argparse
import bisect
import collections
import os
import re
import signal
import subprocess
import sys


def tool(dll, name):
    out = subprocess.run(["file", "-b", dll], capture_output=True, text=True).stdout
    prefix = "x86_64-w64-mingw32" if "PE32+" in out else "i686-w64-mingw32"
    return "%s-%s" % (prefix, name)


def sections(dll):
    """[(name, vma, size)] of the loaded sections."""
    out = subprocess.run([tool(dll, "objdump"), "-h", dll], capture_output=True,
                         text=True, check=True).stdout
    result = []
    for m in re.finditer(r"^\s*\d+\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s", out, re.M):
        name, size, vma = m.group(1), int(m.group(2), 16), int(m.group(3), 16)
        # A stripped PE keeps 8 characters of a section's name.
        name = ".eh_frame" if name == ".eh_fram" else name
        if not name.startswith((".debug", ".zdebug", ".stab")):
            result.append((name, vma, size))
    return result


def object_kind(path):
    """A map's input file, as the kind of code it is."""
    base = os.path.basename(path)
    member = re.search(r"\(([^)]*)\)$", base)
    if "-cgu." in base or base.endswith(".rcgu.o"):
        return "Rust (all crates, LTO)"
    if "sqlite3" in base:
        return "sqlite3 (C)"
    if base.startswith("libring"):
        return "ring (C, assembly)"
    if member and re.search(r"\.dll[sht]\d*\.o$|dll[sht]\d*\.o$", member.group(1)):
        return "import stubs"
    if "mingw" in path or "gcc" in path or base.startswith(("libmsvcrt", "libmingw", "libgcc", "crt", "dllcrt")):
        return "MinGW C runtime"
    if "version.o" in base:
        return "version resource"
    if path == "dll stuff":
        return "linker (relocations, exports)"
    return base


def map_ranges(map_path):
    """[(start, size, kind)] of every input section the map places."""
    ranges = []
    pending = None
    started = False
    with open(map_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not started:
                started = line.startswith("Linker script and memory map")
                continue
            m = re.match(r"^ (\.\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$", line)
            if m:
                ranges.append((int(m.group(2), 16), int(m.group(3), 16), object_kind(m.group(4).strip())))
                pending = None
                continue
            m = re.match(r"^ (\.\S+)\s*$", line)
            if m:
                pending = m.group(1)
                continue
            m = re.match(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$", line)
            if pending and m:
                ranges.append((int(m.group(1), 16), int(m.group(2), 16), object_kind(m.group(3).strip())))
            pending = None
    return sorted(r for r in ranges if r[1] > 0)


def kind_at(ranges, starts, addr):
    i = bisect.bisect_right(starts, addr) - 1
    if i >= 0 and addr < ranges[i][0] + ranges[i][1]:
        return ranges[i][2]
    return None


CRATE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def crate_of(name):
    """`ring::digest::x` -> ring; `<serde_json::Value as core::fmt::Debug>::fmt`
    -> serde_json; `<T as ureq::Body>::f` (a generic type) -> ureq;
    `core::ptr::drop_in_place<rustls::X>` (drop glue) -> rustls."""
    legacy = re.match(r"_*ZN(\d+)", name)  # not demangled (nm without Rust support)
    if legacy:
        at = legacy.end()
        return name[at:at + int(legacy.group(1))]
    glue = re.match(r"core::ptr::drop_in_place<(.*)>$", name)
    if glue and crate_of(glue.group(1).lstrip("&*")):
        return crate_of(glue.group(1).lstrip("&*"))
    name = name.replace("mut ", "").replace("dyn ", "").replace("const ", "")
    if name.startswith("<"):
        inner = name.lstrip("<&*([")
        first = re.split(r" as |>|,|;", inner, maxsplit=1)[0]
        if "::" not in first and " as " in inner:
            inner = inner.split(" as ", 1)[1]
        name = inner
    m = CRATE.match(name)
    if not m or "::" not in name:
        return None
    return m.group(0)


def symbols(dll):
    """[(address, name)] of the named functions and data, demangled."""
    out = subprocess.run([tool(dll, "nm"), "-C", "--numeric-sort", "--defined-only", dll],
                         capture_output=True, text=True).stdout
    result = []
    for line in out.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1] in "tTrRdDbB" and not parts[2].startswith("."):
            result.append((int(parts[0], 16), parts[2]))
    return result


WHAT = {".text": "code", ".rdata": "constants", ".data": "data", ".bss": "data"}


def kib(n):
    return "%7.1f KiB" % (n / 1024)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--top", type=int, default=12, help="how many contributors to name")
    ap.add_argument("dll")
    ap.add_argument("map", nargs="?")
    args = ap.parse_args()

    size = os.path.getsize(args.dll)
    secs = sections(args.dll)
    named = symbols(args.dll)
    loaded = sum(s for _, _, s in secs)
    if named:
        print("%s: %d bytes unstripped; its sections %s (what the stripped DLL holds)"
              % (args.dll, size, kib(loaded).strip()))
    else:
        print("%s: %d bytes (%s)" % (args.dll, size, kib(size).strip()))
    print("  sections: " + ", ".join("%s %s" % (n, kib(s).strip()) for n, _, s in
                                     sorted(secs, key=lambda x: -x[2]) if s >= 1024))

    ranges = map_ranges(args.map) if args.map and os.path.exists(args.map) else []
    starts = [r[0] for r in ranges]
    by = collections.Counter()
    biggest = []
    for sec, vma, length in secs:
        if sec in (".pdata", ".xdata", ".eh_frame"):
            by["unwind tables (%s)" % ("SEH .pdata, .xdata" if sec != ".eh_frame" else "DWARF .eh_frame")] += length
        elif sec == ".text" and named:
            # A function runs to the next symbol (COFF keeps no sizes).
            inside = sorted(dict((a, n) for a, n in named if vma <= a < vma + length).items())
            if inside and inside[0][0] > vma:
                by[kind_at(ranges, starts, vma) or ".text before the first symbol"] += inside[0][0] - vma
            for i, (addr, sym) in enumerate(inside):
                n = (inside[i + 1][0] if i + 1 < len(inside) else vma + length) - addr
                crate = crate_of(sym)
                if crate is None:
                    kind = kind_at(ranges, starts, addr) or "C / unnamed"
                    crate = "Rust code without a crate path" if kind.startswith("Rust") else kind + " code"
                by[crate] += n
                biggest.append((n, sym))
        else:
            # By the object each piece came from; names of constants say
            # too little (most are unnamed) to split them by crate.
            placed = 0
            for start, n, kind in ranges:
                if vma <= start < vma + length:
                    if kind.startswith("Rust"):
                        label = "Rust code (all crates)" if sec == ".text" else "Rust constants (strings, tables; all crates)"
                    else:
                        label = "%s %s" % (kind, WHAT.get(sec, sec))
                    by[label] += n
                    placed += n
            if length > placed:
                by[sec + " (linker: relocations, exports, imports...)" if not ranges else sec + " (other)"] += length - placed
    if named:
        title = "code by crate, the rest by object"
    elif ranges:
        title = "by object (stripped DLL: scripts/dll-size.sh names the crates)"
    else:
        title = "by section (no symbols, no linker map)"
    size = loaded if named else size
    print("  largest contributors, %s:" % title)
    for what, n in by.most_common(args.top):
        print("    %s  %5.1f %%  %s" % (kib(n), 100.0 * n / size, what))
    if biggest:
        print("  largest functions:")
        for n, sym in sorted(biggest, reverse=True)[:min(args.top, 10)]:
            print("    %s  %s" % (kib(n), sym[:110]))
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` is fine
    sys.exit(main())
