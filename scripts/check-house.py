#!/usr/bin/python3
"""The house's shape, checked (make check-house; make test runs it).

Rules, each failure naming the file and the rule:
  long-file     no Swift file in Sources/ or hardware-sim/ over 400 lines, and no page module
                (ui/**/*.js) over 300, unless one of its first five lines is a comment that
                begins "Long file:" and says why
  readme-size   README.md at most 12,000 bytes: a user's guide; figures go to docs/ and bench/
  core-pure     KioskCore imports no Foundation and no other module but the Swift toolchain's
                Synchronization (Mutex, Atomic) and Dispatch (a timer): it is pure Swift
  folder-loop   within a module, no two folders that reference each other's types, through
                any number of folders between (a type belongs to the folder that declares it)
  named-file    every file docs/architecture.md names exists

    scripts/check-house.py [ROOT]     exit 0 when the house holds, 1 with each problem
"""
import os
import re
import sys

SWIFT_LIMIT, PAGE_LIMIT, README_LIMIT = 400, 300, 12_000
LONG_MARK = re.compile(r"^\s*//\s*Long file:\s*\S")
# Modules whose folders are rooms: their loops are what the folder rule watches.
ROOMED = ["Sources/KioskCore", "Sources/KioskDaemon", "Sources/Drivers", "Sources/Outbox", "Sources/Uplink",
          "hardware-sim/Sources/HardwareSim"]
DECLARATION = re.compile(r"^(?:public |package |internal |fileprivate |private |final |indirect |@\w+(?:\([^)]*\))? )*"
                         r"(?:struct|class|enum|protocol|actor|typealias)\s+([A-Z]\w*)", re.M)
IDENTIFIER = re.compile(r"\b[A-Z]\w*\b")


def files_under(root, folder, suffix):
    for base, dirs, names in os.walk(os.path.join(root, folder)):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.endswith(suffix):
                yield os.path.join(base, name)


def relative(root, path):
    return os.path.relpath(path, root)


def long_files(root):
    problems = []
    checks = [(p, SWIFT_LIMIT) for folder in ("Sources", "hardware-sim") for p in files_under(root, folder, ".swift")]
    checks += [(p, PAGE_LIMIT) for p in files_under(root, "ui", ".js")]
    for path, limit in checks:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        if len(lines) > limit and not any(LONG_MARK.match(line) for line in lines[:5]):
            problems.append(f"{relative(root, path)}: long-file: {len(lines)} lines, over {limit}; split it by what it does, "
                            f"or say why it is one in a \"// Long file: …\" comment in its first lines")
    return problems


def readme(root):
    size = os.path.getsize(os.path.join(root, "README.md"))
    if size > README_LIMIT:
        return [f"README.md: readme-size: {size} bytes, over {README_LIMIT}; move figures and detail to docs/"]
    return []


CORE_MAY_IMPORT = {"Synchronization", "Dispatch"}


def core_pure(root):
    problems = []
    for path in files_under(root, "Sources/KioskCore", ".swift"):
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                match = re.match(r"\s*(?:@\w+\s+)*import\s+(?:\w+\s+)?(\w+)", line)
                if match and match.group(1) not in CORE_MAY_IMPORT:
                    problems.append(f"{relative(root, path)}:{number}: core-pure: imports {match.group(1)}; "
                                    "KioskCore is pure Swift: put what needs it behind a port in another module")
    return problems


def code_only(text):
    """Swift source without comments and string literals (their words name no type)."""
    text = re.sub(r'"""[\s\S]*?"""', '""', text)
    text = re.sub(r"/\*[\s\S]*?\*/", " ", text)
    text = re.sub(r'"(?:\\.|[^"\\\n])*"', '""', text)
    return re.sub(r"//[^\n]*", "", text)


def folder_of(module_root, path):
    parts = os.path.relpath(path, module_root).split(os.sep)
    return parts[0] if len(parts) > 1 else "(top)"


def references(root, module):
    """Folder → the folders whose types its files name."""
    module_root = os.path.join(root, module)
    sources = {path: code_only(open(path, encoding="utf-8").read()) for path in files_under(root, module, ".swift")}
    home = {}
    for path, code in sources.items():
        for name in DECLARATION.findall(code):
            home.setdefault(name, folder_of(module_root, path))
    edges = {}
    for path, code in sources.items():
        folder = folder_of(module_root, path)
        edges.setdefault(folder, set())
        for name in set(IDENTIFIER.findall(code)):
            other = home.get(name)
            if other and other != folder:
                edges[folder].add(other)
    return edges


def loops(edges):
    """The strongly connected groups of more than one folder (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def folder_loops(root):
    problems = []
    for module in ROOMED:
        if not os.path.isdir(os.path.join(root, module)):
            continue
        edges = references(root, module)
        for group in loops(edges):
            pairs = [f"{a} → {b}" for a in group for b in sorted(edges[a]) if b in group]
            problems.append(f"{module}: folder-loop: {', '.join(group)} reference each other ({'; '.join(pairs)}); "
                            "move what both need into a folder both may use")
    return problems


def named_files(root):
    problems = []
    page = os.path.join(root, "docs/architecture.md")
    text = open(page, encoding="utf-8").read()
    everything = {}
    for base, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("var", "dist")]
        for name in names:
            everything.setdefault(name, []).append(relative(root, os.path.join(base, name)))
    for name in sorted(set(re.findall(r"[\w./-]+\.(?:swift|js|md|py|sh|json|css|html)\b", text))):
        if name.startswith("../"):
            continue  # outside this repository (the design brief beside it)
        if "/" in name:
            candidates = [name, os.path.join("docs", name)]
            if not any(os.path.exists(os.path.join(root, c)) for c in candidates):
                problems.append(f"docs/architecture.md: named-file: names {name}, which does not exist")
        elif name not in everything:
            problems.append(f"docs/architecture.md: named-file: names {name}, which no folder holds")
    return problems


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    problems = long_files(root) + readme(root) + core_pure(root) + folder_loops(root) + named_files(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"check-house: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("check-house: the house holds (file lengths, README size, a pure KioskCore, no folder loops, the files architecture.md names)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
