#!/usr/bin/python3
"""scripts/check-house.py against a small house that breaks each rule once, and the same house
mended: each rule names the file it finds at fault, and a house that keeps them passes.

    Tests/House/check_house_test.py     (make check-house runs it)
"""
import os, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK = os.path.join(ROOT, "scripts/check-house.py")


def write(root, path, text):
    os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
    with open(os.path.join(root, path), "w", encoding="utf-8") as f:
        f.write(text)


def house(root, broken):
    write(root, "README.md", "x" * (13_000 if broken else 1_000))
    write(root, "docs/architecture.md", "See `Sources/KioskCore/Catalogue/Catalogue.swift` and Loader.swift.\n" + ("And Gone.swift.\n" if broken else ""))
    write(root, "Sources/KioskCore/Catalogue/Catalogue.swift", "public struct FormField { var source: IdentityField }\n")
    write(root, "Sources/KioskCore/Catalogue/Loader.swift", "// Reads the catalogue.\nstruct Loader {}\n")
    # A loop: Identity names Catalogue's FormField, Catalogue names Identity's IdentityField.
    identity = "import Synchronization\npublic enum IdentityField { case name }\n"
    write(root, "Sources/KioskCore/Identity/Masking.swift", identity + ("func shown(_ f: FormField) {}\n" if broken else "") + ("import Foundation\n" if broken else ""))
    # A type named only in a comment or a string is no reference.
    write(root, "Sources/KioskCore/Identity/Words.swift", '// FormField\nlet text = "FormField"\n')
    long_file = "\n".join("let line%d = %d" % (n, n) for n in range(450))
    write(root, "Sources/KioskDaemon/Station/Long.swift", long_file if broken else "// Long file: one table the tests read whole.\n" + long_file)
    write(root, "ui/screens/long.js", "\n".join("const a%d = %d;" % (n, n) for n in range(320 if broken else 250)))


def check(root):
    run = subprocess.run(["/usr/bin/python3", CHECK, root], capture_output=True, text=True)
    return run.returncode, run.stderr


def main():
    with tempfile.TemporaryDirectory() as root:
        house(root, broken=True)
        status, said = check(root)
        expected = ["Sources/KioskDaemon/Station/Long.swift: long-file", "ui/screens/long.js: long-file", "README.md: readme-size",
                    "Sources/KioskCore/Identity/Masking.swift:4: core-pure: imports Foundation",
                    "Sources/KioskCore: folder-loop: Catalogue, Identity", "docs/architecture.md: named-file: names Gone.swift"]
        missing = [e for e in expected if e not in said]
        if status != 1 or missing or len(said.strip().splitlines()) != len(expected) + 1:
            print("check-house test FAILED: a broken house was judged %d with:\n%s\nexpected each of %s" % (status, said, expected), file=sys.stderr)
            sys.exit(1)
    with tempfile.TemporaryDirectory() as root:
        house(root, broken=False)
        status, said = check(root)
        if status != 0:
            print("check-house test FAILED: a house that keeps every rule was judged %d:\n%s" % (status, said), file=sys.stderr)
            sys.exit(1)
    print("check-house test: each of the %d rules named the file that broke it, and the mended house passed" % len(expected))


if __name__ == "__main__":
    main()
