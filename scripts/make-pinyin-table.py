#!/usr/bin/python3
"""Writes ui/pinyin.json, the touchscreen keyboard's pinyin table, from Unicode's Unihan
database as Debian's unicode-data package installs it (make pinyin).

The characters are those of the 通用规范汉字表 (kTGHZ2013, 8,105 characters: the
standard set for names and addresses), under each of their readings, toneless,
with ü written v (lv → 绿). Under a syllable, the most used come first: by the
count in 现代汉语频率词典 (kHanyuPinlu) for that reading, then Unihan's
frequency grade (kFrequency), then the code point.

    {"yang": "样养阳洋羊杨扬…", …}
"""
import bz2, json, sys, unicodedata

UNIHAN = "/usr/share/unicode/"
OUT = sys.argv[1] if len(sys.argv) > 1 else "ui/pinyin.json"


def fields(name, wanted):
    found = {}
    with bz2.open(UNIHAN + name, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#") or "\t" not in line:
                continue
            code, field, value = line.rstrip("\n").split("\t")
            if field in wanted:
                found.setdefault(chr(int(code[2:], 16)), {})[field] = value
    return found


def toneless(reading):
    plain = "".join(c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c) or c == "\u0308")
    return unicodedata.normalize("NFC", plain).replace("ü", "v").lower()


readings = fields("Unihan_Readings.txt.bz2", {"kTGHZ2013", "kHanyuPinlu"})
grades = fields("Unihan_DictionaryLikeData.txt.bz2", {"kFrequency"})
table = {}
for char, values in readings.items():
    if "kTGHZ2013" not in values:
        continue
    counts = {}
    for entry in values.get("kHanyuPinlu", "").split():
        reading, count = entry.rstrip(")").split("(")
        counts[toneless(reading)] = counts.get(toneless(reading), 0) + int(count)
    grade = int(grades.get(char, {}).get("kFrequency", 6))
    syllables = {toneless(r) for entry in values["kTGHZ2013"].split() for r in entry.split(":")[1].split(",")}
    for syllable in syllables:
        table.setdefault(syllable, []).append((-counts.get(syllable, 0), grade, ord(char), char))

result = {syllable: "".join(c for *_, c in sorted(chars)) for syllable, chars in sorted(table.items())}
with open(OUT, "w", encoding="utf-8") as out:
    json.dump(result, out, ensure_ascii=False, separators=(",", ":"))
    out.write("\n")
print("%s: %d syllables, %d characters" % (OUT, len(result), len({c for s in result.values() for c in s})))
