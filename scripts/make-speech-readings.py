#!/usr/bin/python3
"""Writes ui/strings/zh-readings.json, how kioskd reads Chinese aloud (make
speech-readings), from PyPI's pypinyin dictionaries and the reviewed
corrections in scripts/speech-corrections.json.

espeak-ng, given characters, picks one reading per character: 长辈 came out
cháng bèi, 银行 yín xíng. kioskd turns a prompt into tone-numbered pinyin word
by word instead and gives that to espeak-ng's cmn-latn-pinyin voice
(docs/speech.md).

- "characters": each character of the 通用规范汉字表 (the characters of
  ui/pinyin.json) with its usual reading, from Unicode's Unihan database
  (Debian's unicode-data): the reading counted most in 现代汉语频率词典
  (kHanyuPinlu), else Unihan's customary one (kMandarin). pypinyin's first
  reading is no guide: it gives 长 zhǎng.
- "words": the words whose reading is not their characters' usual ones
  (长辈 zhang3 bei4, 银行 yin2 hang2), from pypinyin's phrase dictionary,
  then the corrections: a reviewed reading wins, and a reviewed word is kept
  even when its characters read it so, to be matched whole.

Syllables are tone-numbered (5 for the neutral tone), ü written v.

    scripts/make-speech-readings.py PYTHON_WITH_PYPINYIN [OUT]
"""
import bz2, json, os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Run inside the interpreter that has pypinyin (the venv `make` prepares).
EXTRACT = r"""
import json, sys
from pypinyin import lazy_pinyin, Style
from pypinyin.phrases_dict import phrases_dict
from pypinyin.style import convert
given = json.load(sys.stdin)
chars = set(given["chars"])
tone3 = lambda syllable: convert(syllable, Style.TONE3, strict=True, neutral_tone_with_five=True).replace("ü", "v")
marks = set("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ")
# Unihan writes the neutral tone without a mark (的 de): tone 5.
usual = {c: tone3(marked) if marks & set(marked) else marked.replace("ü", "v") + "5" for c, marked in given["usual"].items()}
phrases = {p: [tone3(r[0]) for r in readings] for p, readings in phrases_dict.items() if all(c in chars for c in p)}
json.dump({"usual": usual, "phrases": phrases}, sys.stdout, ensure_ascii=False)
"""


MARKS = set("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ")


def unihan_usual(chars):
    """Each character's most used reading, tone-marked, as Unihan gives it."""
    found = {}
    with bz2.open("/usr/share/unicode/Unihan_Readings.txt.bz2", "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#") or "\t" not in line:
                continue
            code, field, value = line.rstrip("\n").split("\t")
            if field in ("kHanyuPinlu", "kMandarin"):
                found.setdefault(chr(int(code[2:], 16)), {})[field] = value
    usual = {}
    for char in chars:
        values = found.get(char, {})
        if "kHanyuPinlu" in values:
            counted = [(int(count), reading) for reading, count in re.findall(r"([^\s(]+)\((\d+)\)", values["kHanyuPinlu"])]
            toned = [(count, reading) for count, reading in counted if MARKS & set(reading)]
            neutral = [(count, reading) for count, reading in counted if not MARKS & set(reading)]
            # The neutral tone counts the suffixes (桌子 zi, 事务 wu): a character takes it only
            # when it is all but always a particle (的 de, 了 le).
            if toned and (not neutral or max(neutral)[0] < 10 * max(toned)[0]):
                usual[char] = max(toned)[1]
            else:
                usual[char] = max(counted)[1]
        elif "kMandarin" in values:
            usual[char] = values["kMandarin"].split()[0]
    return usual


def main():
    python = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "ui/strings/zh-readings.json")
    with open(os.path.join(ROOT, "ui/pinyin.json"), encoding="utf-8") as table:
        chars = sorted(set("".join(json.load(table).values())))
    extracted = json.loads(subprocess.run([python, "-c", EXTRACT], input=json.dumps({"chars": chars, "usual": unihan_usual(chars)}),
                                          capture_output=True, text=True, check=True).stdout)
    with open(os.path.join(ROOT, "scripts/speech-corrections.json"), encoding="utf-8") as corrections:
        reviewed = {word: reading.split() for word, reading in json.load(corrections)["words"].items()}

    usual = {c: r for c, r in extracted["usual"].items() if re.match(r"^[a-z]+[1-5]$", r)}

    syllable = re.compile(r"^[a-z]+[1-5]$")
    # An erhua reading (一丁点儿 yi1 ding1 dian3r) has fewer syllables than characters: left out.
    words = {p: r for p, r in extracted["phrases"].items()
             if len(p) > 1 and len(r) == len(p) and all(syllable.match(x) for x in r) and r != [usual.get(c) for c in p]}
    for word, reading in reviewed.items():
        if len(word) != len(reading):
            sys.exit("scripts/speech-corrections.json: %s has %d characters but %d syllables" % (word, len(word), len(reading)))
        if len(word) == 1:
            usual[word] = reading[0]
        else:
            words[word] = reading
    # A reviewed word stays even when its characters read it so: it is there to be matched
    # whole (发放 in 救助金发放, not 金发).
    words = {p: r for p, r in words.items() if p in reviewed or r != [usual.get(c) for c in p]}
    with open(out, "w", encoding="utf-8") as file:
        # A line each, so an error names its line and a change reads as a diff.
        json.dump({"characters": dict(sorted(usual.items())), "words": {p: " ".join(r) for p, r in sorted(words.items())}},
                  file, ensure_ascii=False, indent=0)
        file.write("\n")
    print("%s: %d characters, %d words" % (out, len(usual), len(words)))


if __name__ == "__main__":
    main()
