#!/usr/bin/env python3
"""Copies an ELF64 file with its section header table dropped (e_shoff,
e_shnum, e_shstrndx = 0), as some packers and sstrip leave binaries: the
loaded segments are untouched, the program still runs. For tests.

    drop-section-headers.py IN OUT
"""
import os
import struct
import sys

data = bytearray(open(sys.argv[1], "rb").read())
if data[:4] != b"\x7fELF" or data[4] != 2:
    sys.exit("drop-section-headers: %s: not an ELF64 file" % sys.argv[1])
struct.pack_into("<Q", data, 0x28, 0)  # e_shoff
struct.pack_into("<H", data, 0x3C, 0)  # e_shnum
struct.pack_into("<H", data, 0x3E, 0)  # e_shstrndx
with open(sys.argv[2], "wb") as f:
    f.write(data)
os.chmod(sys.argv[2], 0o755)
