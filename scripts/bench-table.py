#!/usr/bin/python3
"""Collects the RESULT lines every benchmark prints (tab-separated: name,
figure, baseline, ratio, goal, PASS/MISS) from make bench's log into one
table, bench/results.md (docs/benchmarks.md says what each row measures).

    scripts/bench-table.py LOG > bench/results.md
"""
import platform, subprocess, sys, time

rows = []
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    if line.startswith("RESULT\t"):
        rows.append(line.rstrip("\n").split("\t")[1:7])
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip() or "?"
print("# kioskd benchmarks\n")
print("Measured by `make bench` on %s at commit %s: %s, %d cores. Each figure is next to its baseline, measured in the same run, and the ratio; "
      "goals are the issues'.\n" % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), commit, cpu, len(open("/proc/cpuinfo").read().split("processor")) - 1))
print("| benchmark | kioskd | baseline | ratio | goal | |")
print("|---|---|---|---|---|---|")
for name, figure, baseline, ratio, goal, verdict in rows:
    print("| %s | %s | %s | %s | %s | %s |" % (name, figure, baseline, ratio, goal, verdict))
judged = [r for r in rows if r[5] in ("PASS", "MISS")]
met = sum(r[5] == "PASS" for r in judged)
print("\n%d of %d goals met; a row without a goal is a figure kept for comparison (docs/benchmarks.md)." % (met, len(judged)))
