#!/usr/bin/python3
"""Writes ui/stroke-orders.json, each character's strokes in writing order as
five kinds, from Rime's stroke table as Debian's rime-data-stroke installs it
(make stroke-orders). kioskd checks the writing pad's strokes against it
(docs/handwriting.md).

The kinds are those of the 五笔画 stroke input: h 横 (and 提), s 竖 (and 竖钩),
p 撇, n 点 (and 捺), z 折 (every other stroke that turns). Rime's main table
follows Taiwan's CNS 11643 orders and its second one the mainland's (GB 13000.1);
a character with both keeps both, space-separated. The characters are those of
GB 2312 (the set Debian's Zinnia model knows) and of the 通用规范汉字表
(Unihan's kTGHZ2013).

    {"about": "…", "orders": {"山": "szs", "北": "shhhz shhpz", …}}
"""
import bz2, json, sys

RIME = "/usr/share/rime-data/stroke.dict.yaml"
UNIHAN = "/usr/share/unicode/Unihan_Readings.txt.bz2"
OUT = sys.argv[1] if len(sys.argv) > 1 else "ui/stroke-orders.json"


def gb2312():
    for row in range(0xB0, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                yield bytes([row, cell]).decode("gb2312")
            except UnicodeDecodeError:
                pass


def tghz2013():
    with bz2.open(UNIHAN, "rt", encoding="utf-8") as lines:
        for line in lines:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3 and parts[1] == "kTGHZ2013":
                yield chr(int(parts[0][2:], 16))


orders = {}
with open(RIME, encoding="utf-8") as lines:
    body = False
    for line in lines:
        body = body or line.startswith("...")
        parts = line.rstrip("\n").split("\t")
        if body and len(parts) >= 2 and len(parts[0]) == 1 and parts[1] and set(parts[1]) <= set("hspnz"):
            known = orders.setdefault(parts[0], [])
            if parts[1] not in known:
                known.append(parts[1])

wanted = set(gb2312()) | set(tghz2013())
missing = sorted(wanted - orders.keys())
table = {c: " ".join(orders[c]) for c in sorted(wanted & orders.keys())}
about = ("Each character's strokes in writing order as five kinds (h 横/提, s 竖/竖钩, p 撇, n 点/捺, z 折), "
         "for checking the writing pad's strokes. Written by make stroke-orders (scripts/make-stroke-orders.py) from "
         "Rime's stroke table (Debian's rime-data-stroke, LGPL-3; its data from CNS 11643 and the 北大中文论坛 tables). "
         "Alternatives are space-separated.")
with open(OUT, "w", encoding="utf-8") as out:
    out.write('{"about": %s,\n "orders": {\n' % json.dumps(about, ensure_ascii=False))
    out.write(",\n".join("  %s: %s" % (json.dumps(c, ensure_ascii=False), json.dumps(o)) for c, o in table.items()))
    out.write("\n }\n}\n")
print(f"{OUT}: {len(table)} characters; without a stroke order: {len(missing)} {''.join(missing[:40])}")
