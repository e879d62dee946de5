#!/usr/bin/env python3
"""Draws every pictogram of ui/pictograms.svg with its name into one PNG
(docs/pictograms.png, for docs/catalogue.md), through headless Chromium."""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "docs/pictograms.png")
sprite = open(os.path.join(ROOT, "ui/pictograms.svg"), encoding="utf-8").read()
names = re.findall(r'<symbol id="pictogram-(\w+)"', sprite)
cells = "".join('<figure><svg><use href="#pictogram-%s"/></svg><figcaption>%s</figcaption></figure>' % (n, n) for n in names)
page = ('<!doctype html><meta charset="utf-8"><body style="margin:8px;font:13px sans-serif;color:#0b57a4">'
        + sprite.replace("<svg ", '<svg style="display:none" ', 1)
        + "<style>figure{display:inline-block;margin:6px;width:118px;text-align:center}figure svg{width:72px;height:72px}</style>"
        + cells + "</body>")
rows = -(-len(names) // 8)
with tempfile.TemporaryDirectory() as folder:
    html = os.path.join(folder, "sheet.html")
    open(html, "w", encoding="utf-8").write(page)
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--screenshot=" + os.path.abspath(out),
                    "--window-size=1100,%d" % (rows * 110 + 30), "file://" + html], check=True, capture_output=True)
print("%s: %d pictograms" % (out, len(names)))
