#!/usr/bin/python3
"""Benchmark: from a touch sent on the WebSocket to the next screen painted in
headless Chromium, over 200 touches (home ↔ 常用 and back), p50 and p95.
Goal: p95 under 100 ms on this machine. Run by `make bench`."""
import json, os, signal, subprocess, sys, tempfile, time, urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PORTS = {"DEMO_LISTEN": "127.0.0.1:18080", "DEMO_PRINTER_PORT": "19100", "DEMO_SCANNER_LISTEN": "127.0.0.1:18090", "DEMO_PLATFORM_LISTEN": "127.0.0.1:18091"}
BASE = "http://" + PORTS["DEMO_LISTEN"]
MEASURE = """
const [message, done] = [arguments[0], arguments[arguments.length - 1]];
const start = performance.now();
window.addEventListener('kioskd-painted', () => done(performance.now() - start), {once: true});
window.kioskdTouch(message);
"""


def main():
    state = tempfile.mkdtemp(prefix="kioskd-bench-ui-")
    env = dict(os.environ, STATE_DIR=state, KIOSKD_SESSION_IDLE_TIMEOUT_SECONDS="1800", KIOSKD_SESSION_IDLE_WARNING_SECONDS="60", **PORTS)
    demo = subprocess.Popen([os.path.join(ROOT, "scripts/demo.sh")], cwd=ROOT, env=env, stdout=open(os.path.join(state, "demo.log"), "w"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    driver = None
    try:
        for _ in range(300):
            try:
                if any(c["name"] == "idcard_reader" and c["status"] == "online" for c in json.load(urllib.request.urlopen(BASE + "/healthz"))["components"]):
                    break
            except Exception:
                pass
            time.sleep(0.1)
        options = webdriver.ChromeOptions()
        for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1080,1920"]:
            options.add_argument(argument)
        options.binary_location = "/usr/bin/chromium"
        driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
        driver.set_script_timeout(10)
        driver.get(BASE + "/")
        subprocess.run([os.path.join(ROOT, ".build/debug/hardware-sim"), "control", "--socket", os.path.join(state, "sim/idcard_reader.control"),
                        "card", "put", "wang-jianguo"], check=True, capture_output=True)
        for _ in range(200):
            if driver.execute_script("return document.getElementById('screen').dataset.screen") == "home":
                break
            time.sleep(0.05)
        times = []
        for index in range(220):
            message = {"type": "menu", "menu": "popular"} if index % 2 == 0 else {"type": "back"}
            elapsed = driver.execute_async_script(MEASURE, message)
            if index >= 20:  # the first 20 warm up
                times.append(elapsed)
        times.sort()
        p50, p95 = times[len(times) // 2], times[int(len(times) * 0.95)]
        print("touch → next screen painted, headless Chromium at 1080×1920, 200 touches after 20 to warm up (debug build of kioskd)")
        print("  p50 %.1f ms  p95 %.1f ms  max %.1f ms" % (p50, p95, times[-1]))
        print("  p95 %.1f ms (goal < 100 ms) %s" % (p95, "PASS" if p95 < 100 else "MISS"))
        print("\t".join(["RESULT", "touch → next screen painted", "p95 %.1f ms (p50 %.1f)" % (p95, p50), "—", "—", "< 100 ms", "PASS" if p95 < 100 else "MISS"]))
    finally:
        if driver:
            driver.quit()
        os.killpg(demo.pid, signal.SIGTERM)
        demo.wait(15)


if __name__ == "__main__":
    main()
