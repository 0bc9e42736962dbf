#!/usr/bin/env python3
"""records_json.py RECORDS OUT.json: a section's records (lib.sh `rec`) as JSON.

A record is one line: its kind, then fields separated by \\x1f, each
key=text, key:=number or key@=file. Kind "meta" records merge into one
object, "problem" ones into a list of strings, the others into lists by
kind: {"meta": {...}, "problems": [...], "records": {kind: [{...}, ...]}}.
"""
import json
import os
import sys


def number(text):
    text = text.strip()
    if text in ("", "-", "nan"):
        return None
    try:
        return int(text)
    except ValueError:
        return float(text)


def field(raw):
    key, _, value = raw.partition("=")
    if key.endswith(":"):
        return key[:-1], number(value)
    if key.endswith("@"):
        with open(value) as f:
            return key[:-1], f.read()
    return key, value


def main(src, out):
    doc = {"meta": {}, "problems": [], "records": {}}
    with open(src) as f:
        for line in f:
            kind, *fields = line.rstrip("\n").split("\x1f")
            obj = dict(field(x) for x in fields)
            if kind == "meta":
                doc["meta"].update(obj)
            elif kind == "problem":
                doc["problems"].append(obj["text"])
            else:
                doc["records"].setdefault(kind, []).append(obj)
    with open(out + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
