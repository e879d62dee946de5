#!/usr/bin/python3
"""Browser test: a whole visit on the touchscreen page in headless Chromium
(Debian's chromium + chromium-driver through selenium), against kioskd and
hardware-sim started here as `make demo` starts them (scripts/demo.sh).

A card is placed in the ID-card simulator, an item chosen, two pages scanned
through the eSCL scanner simulator, the application submitted; the receipt the
printer simulator printed must carry the tracking number shown on screen; the
resident rates, leaves; then nothing of theirs may be left in the DOM,
localStorage, sessionStorage or cookies.

Run by `make test` (after the Swift tests built the binaries); exits non-zero
on the first failure with what was expected.
"""
import glob, json, os, signal, subprocess, sys, tempfile, time, urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PORTS = {"DEMO_LISTEN": "127.0.0.1:18080", "DEMO_PRINTER_PORT": "19100", "DEMO_SCANNER_LISTEN": "127.0.0.1:18090", "DEMO_PLATFORM_LISTEN": "127.0.0.1:18091"}
BASE = "http://" + PORTS["DEMO_LISTEN"]
# wang-jianguo, the simulator's card profile: what must not survive the session.
RESIDENT = {"name": "王建国", "number": "340104195803120519"}


def fail(message):
    raise AssertionError(message)


def wait(what, condition, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception:
            pass
        time.sleep(0.1)
    fail("timed out waiting for " + what)


def main():
    state = tempfile.mkdtemp(prefix="kioskd-ui-")
    env = dict(os.environ, STATE_DIR=state, **PORTS)
    log = open(os.path.join(state, "demo.log"), "w")
    demo = subprocess.Popen([os.path.join(ROOT, "scripts/demo.sh")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    driver = None
    try:
        health = wait("kioskd's devices online", lambda: (lambda h: h if all(c["status"] in ("ok", "online") for c in h["components"]
                      if c["name"] in ("idcard_reader", "receipt_printer", "scanner", "platform")) else None)(json.load(urllib.request.urlopen(BASE + "/healthz"))), 30)
        options = webdriver.ChromeOptions()
        for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1080,1920", "--lang=zh-CN"]:
            options.add_argument(argument)
        options.binary_location = "/usr/bin/chromium"
        driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
        driver.get(BASE + "/")

        def screen():
            return driver.find_element(By.ID, "screen").get_attribute("data-screen")

        def tap(text):
            button = wait("a button '%s' on %s" % (text, screen()), lambda: next(b for b in driver.find_elements(By.TAG_NAME, "button") if text in b.text))
            button.click()

        wait("the attract screen", lambda: screen() == "attract")
        control = [os.path.join(ROOT, ".build/debug/hardware-sim"), "control", "--socket", os.path.join(state, "sim/idcard_reader.control")]
        subprocess.run(control + ["card", "put", "wang-jianguo"], check=True, capture_output=True)
        wait("the home screen after the card", lambda: screen() == "home")
        if "王*国" not in driver.page_source:
            fail("the home screen does not greet the resident by masked name")
        tap("养老")
        tap("高龄津贴申领")
        wait("the guide", lambda: screen() == "guide")
        tap("下一步")
        wait("the form", lambda: screen() == "form")
        for field, value in (("phone", "13912345678"), ("bank_account", "6222020200112233446")):
            box = driver.find_element(By.ID, field)
            box.clear()
            box.send_keys(value, Keys.TAB)
            wait("%s accepted" % field, lambda: driver.find_element(By.ID, field).get_attribute("value") == value)
        tap("下一步")
        wait("the materials", lambda: screen() == "materials")
        for material in ("居民户口簿", "本人社会保障卡或银行卡"):
            tap("扫描")
            wait("%s scanned" % material, lambda: "%s（已扫描 1 页）" % material in driver.find_element(By.ID, "screen").text, 30)
        tap("检查是否齐全")
        wait("the review", lambda: screen() == "review")
        tap("提交申请")
        shown = wait("the receipt screen", lambda: driver.find_element(By.ID, "tracking-number").text, 30)
        printed = wait("the printed receipt", lambda: [open(p, encoding="utf-8").read() for p in sorted(glob.glob(os.path.join(state, "sim/receipts/*.txt")))])
        if not any(shown in text for text in printed):
            fail("the receipt printed does not carry the tracking number on screen (%s): %s" % (shown, printed))
        tap("下一步：评价")
        tap("满意")
        wait("thanks", lambda: screen() == "done")
        tap("退出")
        wait("the attract screen after the end", lambda: screen() == "attract")

        # Nothing of the resident may be left in the page or its storage.
        storage = driver.execute_script("return JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])")
        left = driver.page_source + storage
        for label, secret in list(RESIDENT.items()) + [("masked name", "王*国"), ("tracking number", shown)]:
            if secret in left:
                fail("the %s is still in the page after the session ended" % label)
        print("ui visit: card → 高龄津贴申领 → 2 pages scanned → submitted %s → printed receipt matches → rated → wiped" % shown)
    except Exception:
        if driver:
            # What the screen showed, for whoever reads the failure.
            driver.save_screenshot(os.path.join(state, "failure.png"))
            print("ui visit: the screen was %r: %s (screenshot %s/failure.png, log %s/demo.log)" % (
                driver.find_element(By.ID, "screen").get_attribute("data-screen"), driver.find_element(By.TAG_NAME, "body").text[:600], state, state), file=sys.stderr)
        raise
    finally:
        if driver:
            driver.quit()
        os.killpg(demo.pid, signal.SIGTERM)
        try:
            demo.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as failure:
        print("ui visit FAILED: %s" % failure, file=sys.stderr)
        sys.exit(1)
