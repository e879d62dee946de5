#!/usr/bin/python3
"""Every Chinese text kioskd can speak, read by kioskd and by an independent
reader, compared syllable by syllable.

The texts: the say. templates of ui/strings/zh.json (without their {values})
and every Chinese text of the sample catalogue (names, conditions,
materials, labels, hints: what the guide, the form and the refusals speak).
kioskd's reading is `kioskctl speech pinyin`, whose table comes from
pypinyin (scripts/make-speech-readings.py); the independent one is g2pM, a
neural model with its own data (PyPI). Where they disagree, the right reading
must be in Tests/Speech/reviewed-readings.json, checked by a person, and
kioskd must say that. Numbers, letters and dates are kioskd's own rules and
have their own tests (ChineseReadingTests).

    Tests/Speech/speech_test.py [--update]   (--update lists new disagreements for review)

Run by make test, with the venv scripts/speech-venv.sh makes.
"""
import json, os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REVIEWED = os.path.join(ROOT, "Tests/Speech/reviewed-readings.json")
CHINESE = re.compile(r"[\u3400-\u9fff]+")


def texts():
    with open(os.path.join(ROOT, "ui/strings/zh.json"), encoding="utf-8") as strings:
        for key, value in json.load(strings).items():
            if key.startswith("say."):
                yield value
    with open(os.path.join(ROOT, "data/catalogue.json"), encoding="utf-8") as catalogue:
        stack = [json.load(catalogue)]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            yield node


def independent(runs):
    """g2pM's reading of each run, in the speech venv (it needs numpy)."""
    python = subprocess.run([os.path.join(ROOT, "scripts/speech-venv.sh")], capture_output=True, text=True, check=True).stdout.strip()
    program = ("import json, sys\nfrom g2pM import G2pM\nmodel = G2pM()\n"
               "print(json.dumps([model(run, tone=True, char_split=False) for run in json.load(sys.stdin)]))")
    read = json.loads(subprocess.run([os.path.join(ROOT, python), "-c", program], input=json.dumps(runs),
                                     capture_output=True, text=True, check=True).stdout)
    return [" ".join(s.replace("u:", "v").replace("ü", "v") for s in syllables) for syllables in read]


def lexical(run, reading):
    """The reading with 一 and 不 in their own tones: kioskd says them as they
    change before the next syllable (不要 bu2 yao4, its own rule and test);
    g2pM gives the dictionary's."""
    syllables = reading.split()
    if len(syllables) != len(run):
        return reading
    return " ".join({"一": "yi1", "不": "bu4"}.get(c, s) for c, s in zip(run, syllables))


def main():
    runs = sorted({run for text in texts() for run in CHINESE.findall(re.sub(r"\{[a-z_]+\}", "|", text))})
    kioskd = subprocess.run([os.path.join(ROOT, ".build/debug/kioskctl"), "speech", "pinyin", "--ui-dir", os.path.join(ROOT, "ui"), *runs],
                            capture_output=True, text=True, check=True).stdout.splitlines()
    other = independent(runs)
    with open(REVIEWED, encoding="utf-8") as file:
        reviewed = json.load(file)["readings"]
    wrong, unreviewed, agreed = [], {}, 0
    for run, ours, theirs in zip(runs, kioskd, other):
        theirs = lexical(run, theirs)
        if run in reviewed:
            if ours != reviewed[run]:
                wrong.append("%s: kioskd says %s, the reviewed reading is %s" % (run, ours, reviewed[run]))
        elif lexical(run, ours) == theirs:
            agreed += 1
        else:
            unreviewed[run] = {"kioskd": ours, "g2pM": theirs}
    stale = sorted(set(reviewed) - set(runs))
    print("speech: %d Chinese runs from ui/strings/zh.json and data/catalogue.json; %d read alike by kioskd and g2pM, %d reviewed disagreements"
          % (len(runs), agreed, len(runs) - agreed - len(unreviewed)))
    if "--update" in sys.argv:
        print(json.dumps(unreviewed, ensure_ascii=False, indent=1))
    failures = wrong + ["%s: kioskd says %s, g2pM %s: decide which is right and record it in %s" % (run, r["kioskd"], r["g2pM"], os.path.relpath(REVIEWED, ROOT))
                        for run, r in unreviewed.items()]
    failures += ["%s is reviewed but no longer spoken: remove it from %s" % (run, os.path.relpath(REVIEWED, ROOT)) for run in stale]
    for failure in failures:
        print("FAIL", failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
