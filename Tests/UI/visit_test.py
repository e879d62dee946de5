#!/usr/bin/python3
"""Browser tests of the touchscreen page in headless Chromium (Debian's
chromium + chromium-driver through selenium) at 1080×1920, against kioskd and
hardware-sim started here as `make demo` starts them (scripts/demo.sh). One
demo and one browser serve every scenario:

- a whole visit: a card placed in the ID-card simulator, an item chosen, two
  pages scanned through the eSCL scanner simulator, submitted; the receipt
  the printer simulator printed carries the tracking number shown on screen;
  rated; after the end nothing of the resident is left in the DOM,
  localStorage, sessionStorage or cookies;
- the same visit in elderly mode (长辈模式);
- an agent's proxy visit: agent card and PIN, the resident's card and consent;
- the idle timeout: after it, nothing of the resident left either; the
  warning counts down;
- both visits again on a 10-inch portrait panel (800×1280) and a landscape
  one (1280×800).

On every screen it measures, not assumes: touch targets at least 44×44 CSS px
(60×60 in elderly mode), text contrast at least 4.5:1, in elderly mode body
text at least 24 px (18 pt) with line spacing at least 1.3, and nothing
wider than the screen or hanging off its edge. It saves a
screenshot of every screen it sees (SCREENSHOTS=DIR; `make screens` writes
docs/screens/).

Run by `make test` after the Swift tests built the binaries; exits non-zero
with what was expected on the first failure.
"""
import glob, json, os, re, shutil, signal, subprocess, sys, tempfile, time, urllib.error, urllib.parse, urllib.request

from prometheus_client.parser import text_string_to_metric_families
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PORTS = {"DEMO_LISTEN": "127.0.0.1:18080", "DEMO_PRINTER_PORT": "19100", "DEMO_SCANNER_LISTEN": "127.0.0.1:18090", "DEMO_PLATFORM_LISTEN": "127.0.0.1:18091"}
BASE = "http://" + PORTS["DEMO_LISTEN"]
SIM = os.path.join(ROOT, ".build/debug/hardware-sim")
CTL = os.path.join(ROOT, ".build/debug/kioskctl")
# The simulator's card profiles: residents and, registered below, an agent.
WANG = {"card": "wang-jianguo", "name": "王建国", "number": "340104195803120519", "masked": "王*国"}
LI = {"card": "li-xiuying", "name": "李秀英", "number": "341122198511070027", "masked": "李*英"}
AGENT_PIN = "246810"
IDLE_SECONDS = 30

# Measured on every screen: targets, contrast, and in elderly mode text size and spacing.
MEASURE = r"""
const elderly = document.body.classList.contains('elderly');
function rgb(text) { const m = text.match(/[\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; }
function lum(c) { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); }
function background(node) { for (; node; node = node.parentElement) { const c = rgb(getComputedStyle(node).backgroundColor); if (c.a > 0) return c; } return {r: 255, g: 255, b: 255, a: 1}; }
const problems = [];
const visible = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };
const least = elderly ? 60 : 44;
for (const e of document.querySelectorAll('button, input, select, a')) {
  if (!visible(e)) continue;
  const r = e.getBoundingClientRect();
  if (r.width < least || r.height < least) problems.push(`target "${(e.textContent || e.id).trim().slice(0, 20)}" is ${Math.round(r.width)}×${Math.round(r.height)} px, under ${least}`);
}
for (const e of document.querySelectorAll('body *')) {
  if (!visible(e) || ![...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
  const s = getComputedStyle(e), fg = lum(rgb(s.color)), bg = lum(background(e));
  const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
  if (ratio < 4.5) problems.push(`text "${e.textContent.trim().slice(0, 20)}" has contrast ${ratio.toFixed(2)}:1`);
  if (elderly && e.closest('main')) {
    const size = parseFloat(s.fontSize), line = s.lineHeight === 'normal' ? size * 1.2 : parseFloat(s.lineHeight);
    if (size < 24) problems.push(`text "${e.textContent.trim().slice(0, 20)}" is ${size} px in elderly mode, under 24 (18 pt)`);
    if (line / size < 1.3) problems.push(`text "${e.textContent.trim().slice(0, 20)}" has line spacing ${(line / size).toFixed(2)}`);
  }
}
// Nothing may push the page sideways or hang off its edge, at any resolution.
if (document.documentElement.scrollWidth > innerWidth + 1) problems.push(`the page is ${document.documentElement.scrollWidth} px wide in a ${innerWidth} px window: it scrolls sideways`);
for (const e of document.querySelectorAll('main button, main input, main img, main p, main h1, main h2')) {
  if (!visible(e)) continue;
  const r = e.getBoundingClientRect();
  if (r.right > innerWidth + 1 || r.left < -1) problems.push(`"${(e.textContent || e.id || e.tagName).trim().slice(0, 20)}" runs off the screen (${Math.round(r.left)}–${Math.round(r.right)} px of ${innerWidth})`);
}
return problems;
"""


def metrics():
    """kioskd's /metrics read by the Prometheus client library's own text-format parser: {(sample, labels): value}."""
    text = urllib.request.urlopen(BASE + "/metrics").read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def moved(before, after, name, delta=1, **labels):
    """Fails unless the sample `name{labels}` went up by `delta` (an int, or a (low, high) range)."""
    key = (name, tuple(sorted(labels.items())))
    if key not in after:
        fail("/metrics has no %s%s" % (name, labels))
    change = after[key] - before.get(key, 0)
    low, high = delta if isinstance(delta, tuple) else (delta, delta)
    if not low <= change <= high:
        fail("%s%s moved by %s during the visit, expected %s" % (name, labels, change, delta))


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


class Kiosk:
    def __init__(self, driver, state, shots):
        self.driver, self.state, self.shots = driver, state, shots
        self.checked = set()
        self.heard = []
        self.size = (1080, 1920)

    def resize(self, width, height):
        """Another screen: the page gets exactly width×height CSS px; every screen is measured again."""
        self.size = (width, height)
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def screen(self):
        return self.driver.find_element(By.ID, "screen").get_attribute("data-screen")

    def reach(self, name, seconds=20):
        """Waits for a screen, then measures it and saves its picture (once per screen and mode)."""
        wait("the %s screen (on %s)" % (name, self.screen()), lambda: self.screen() == name, seconds)
        elderly = self.driver.execute_script("return document.body.classList.contains('elderly')")
        english = self.driver.execute_script("return document.documentElement.lang") == "en"
        key = name + ("-elderly" if elderly else "") + ("-en" if english else "") + ("" if self.size == (1080, 1920) else "-%dx%d" % self.size)
        if key not in self.checked:
            self.measure(key)
            self.hear(name)

    def measure(self, key):
        """Targets, contrast, elderly text and overflow of what is on screen now, and its picture."""
        self.checked.add(key)
        time.sleep(0.2)  # the card animation and layout settle
        problems = self.driver.execute_script(MEASURE)
        if problems:
            fail("%s: %s" % (key, "; ".join(problems[:6])))
        if self.shots and self.size == (1080, 1920):
            self.driver.save_screenshot(os.path.join(self.shots, key + ".png"))

    def hear(self, name):
        """The screen's prompt as kioskd speaks it (Mandarin, or English on an English screen): WAV audio of a plausible length."""
        prompt = json.load(urllib.request.urlopen(BASE + "/api/screen")).get("prompt")
        if not prompt:
            fail("the %s screen has no prompt to speak" % name)
        wav = urllib.request.urlopen(BASE + "/api/speech").read()
        if json.load(urllib.request.urlopen(BASE + "/api/screen")).get("prompt") != prompt:
            return  # the screen moved on meanwhile; its next visit is heard
        if wav[:4] != b"RIFF" or wav[8:12] != b"WAVE" or wav[36:40] != b"data":
            fail("the %s screen's speech is not a WAV file" % name)
        rate, channels, bits = int.from_bytes(wav[24:28], "little"), int.from_bytes(wav[22:24], "little"), int.from_bytes(wav[34:36], "little")
        data = int.from_bytes(wav[40:44], "little")
        seconds = data / (rate * channels * bits / 8)
        characters = len([c for c in prompt if not c.isspace()])
        if data != len(wav) - 44 or not (0.3 <= seconds and 0.05 * characters <= seconds <= 0.8 * characters):
            fail("the %s screen's speech lasts %.1f s for %d characters (%r)" % (name, seconds, characters, prompt))
        if max(abs(int.from_bytes(wav[i:i + 2], "little", signed=True)) for i in range(44, len(wav) - 1, 2)) < 1000:
            fail("the %s screen's speech is silent" % name)
        self.heard.append(seconds)

    def press(self, element):
        """As a person scrolls: the element into the middle of the screen (not under the fixed footer), then a tap."""
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()

    def tap(self, text, exact=False):
        def press():
            # Found and pressed in one go: a push may redraw the screen between the two.
            self.press(next(b for b in self.driver.find_elements(By.TAG_NAME, "button")
                            if (b.text == text if exact else text in b.text) and b.is_displayed()))
            return True
        wait("a button '%s' on %s" % (text, self.screen()), press)

    def keys(self, field, labels):
        """Types on the field's on-screen keyboard, as a resident without a keyboard does: the field, then each key."""
        def opened():
            # Found and tapped in one go: a push may redraw the screen between the two.
            if not self.driver.find_elements(By.CSS_SELECTOR, '.keyboard[data-field="%s"]' % field):
                self.press(self.driver.find_element(By.ID, field))
            return self.driver.find_elements(By.CSS_SELECTOR, '.keyboard[data-field="%s"]' % field)
        wait("the keyboard of %s" % field, opened)
        for label in labels:
            self.key(field, label)

    def key(self, field, label):
        def pressed():
            self.press(next(b for b in self.driver.find_elements(By.CSS_SELECTOR, 'button[data-field="%s"]' % field)
                            if b.text == label and b.is_displayed()))
            return True
        wait("the key %r of %s's keyboard" % (label, field), pressed)

    def write(self, field, pinyin):
        """Chinese on the pinyin keyboard: spell each character's syllable, then tap the character, paging on with › until it shows."""
        for syllable, character in pinyin:
            self.keys(field, syllable)
            for _ in range(10):
                shown = [b.text for b in self.driver.find_elements(By.CSS_SELECTOR, 'button.candidate[data-field="%s"]' % field)]
                if character in shown:
                    break
                self.key(field, "›")
            else:
                fail("%s is not among the candidates for %r" % (character, syllable))
            self.key(field, character)
        text = "".join(character for _, character in pinyin)
        if not self.driver.find_element(By.ID, field).get_attribute("value").endswith(text):
            fail("%s reads %r after writing %r in pinyin" % (field, self.driver.find_element(By.ID, field).get_attribute("value"), text))
        return text

    def erase(self, field):
        """⌫ until the field is empty."""
        self.keys(field, [])
        while self.driver.find_element(By.ID, field).get_attribute("value"):
            self.key(field, "⌫")

    def card(self, *words):
        subprocess.run([SIM, "control", "--socket", os.path.join(self.state, "sim/idcard_reader.control"), "card", *words], check=True, capture_output=True)
        if words[0] == "remove":
            # A person takes the card away before the next one comes: give the
            # reader (it asks every 300 ms) time to see the reader empty.
            time.sleep(1)

    def nothing_left_of(self, *people, also=()):
        storage = self.driver.execute_script("return JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])")
        left = self.driver.page_source + storage
        for person in people:
            for key in ("name", "number", "masked"):
                if person[key] in left:
                    fail("the resident's %s (%s) is still in the page or its storage after the session ended" % (key, person[key]))
        for secret in also:
            if secret in left:
                fail("%s is still in the page after the session ended" % secret)
        # The scanned pages are gone from kioskd too.
        for path in getattr(self, "pages", []):
            try:
                urllib.request.urlopen(BASE + path)
                fail("the scanned page %s is still served after the session ended" % path)
            except urllib.error.HTTPError as error:
                if error.code != 404:
                    raise

    def scan_and_submit(self):
        """From the guide of 高龄津贴申领: form, two scanned pages, submit; returns the tracking number shown."""
        self.tap("下一步")
        self.reach("form")
        # The phone on the on-screen keypad, as a resident without a keyboard would.
        for digit in "13912345678":
            self.press(next(b for b in self.driver.find_elements(By.CSS_SELECTOR, 'button[data-field="phone"]') if b.text == digit))
        self.press(next(b for b in self.driver.find_elements(By.CSS_SELECTOR, 'button[data-field="phone"]') if b.text in ("确定", "OK")))
        wait("the phone kept by kioskd", lambda: next(f for f in json.load(urllib.request.urlopen(BASE + "/api/screen"))["form"] if f["id"] == "phone")["value"] == "13912345678")
        self.keys("bank_account", list("6222020200112233446") + ["确定"])
        wait("the bank account kept by kioskd", lambda: next(f for f in json.load(urllib.request.urlopen(BASE + "/api/screen"))["form"] if f["id"] == "bank_account")["value"] == "6222020200112233446")
        self.tap("下一步")
        self.reach("materials")
        for material in ("居民户口簿", "本人社会保障卡或银行卡"):
            self.tap("扫描")
            wait("%s scanned" % material, lambda: "%s（已扫描 1 页）" % material in self.driver.find_element(By.ID, "screen").text, 30)
        # Each scanned page shows as a thumbnail, served by kioskd for this session only.
        thumbnails = wait("two thumbnails", lambda: (lambda images: images if len(images) == 2 and all(
            self.driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", i) for i in images) else None)(
            self.driver.find_elements(By.CSS_SELECTOR, "img.thumbnail")))
        self.pages = [urllib.parse.urlparse(i.get_attribute("src")).path for i in thumbnails]
        self.tap("检查是否齐全")
        self.reach("review")
        self.tap("提交申请")
        self.reach("receipt", 30)
        shown = self.driver.find_element(By.ID, "tracking-number").text
        # The QR code on screen decodes to the case's tracking URL (zbarimg, as for the printed one).
        qr = os.path.join(self.state, "qr.png")
        with open(qr, "wb") as f:
            f.write(urllib.request.urlopen(BASE + "/api/receipt-qr.png").read())
        decoded = subprocess.run(["zbarimg", "--quiet", "--raw", qr], capture_output=True, text=True).stdout.strip()
        if not decoded.endswith("/" + shown):
            fail("the QR code on screen reads %r, not the tracking URL of %s" % (decoded, shown))
        if not self.driver.execute_script("const i = document.getElementById('receipt-qr'); return i.complete && i.naturalWidth > 0"):
            wait("the QR code shown", lambda: self.driver.execute_script("const i = document.getElementById('receipt-qr'); return i.complete && i.naturalWidth > 0"))
        printed = wait("the printed receipt of " + shown, lambda: [t for t in (open(p, encoding="utf-8").read()
                       for p in glob.glob(os.path.join(self.state, "sim/receipts/*.txt"))) if shown in t])
        return shown, printed[0]


def visit(kiosk, elderly):
    kiosk.reach("attract")
    if elderly:
        kiosk.tap("长辈模式")
        wait("elderly mode", lambda: kiosk.driver.execute_script("return document.body.classList.contains('elderly')"))
        kiosk.reach("attract")
    kiosk.card("put", WANG["card"])
    kiosk.reach("home")
    if WANG["masked"] not in kiosk.driver.page_source:
        fail("the home screen does not greet the resident by masked name")
    if elderly:
        kiosk.tap("按生活事件找")
        kiosk.reach("browse")
        kiosk.tap("养老", exact=True)
    else:
        # 高龄津贴 by its pinyin initials on the on-screen keypad: G, L.
        kiosk.tap("按拼音首字母查找")
        kiosk.reach("browse")
        for letter in "GL":
            kiosk.tap(letter, exact=True)
        wait("the search GL", lambda: kiosk.driver.find_element(By.ID, "query").text == "GL")
    kiosk.tap("高龄津贴申领")
    kiosk.reach("guide")
    shown, receipt = kiosk.scan_and_submit()
    if "承诺办结日期" not in receipt or "王*国" not in receipt:
        fail("the printed receipt lacks the promise or the masked applicant: " + receipt)
    kiosk.tap("下一步：评价")
    kiosk.reach("rating")
    kiosk.tap("满意")
    kiosk.reach("done")
    # The resident turned the voice down; the next one starts at the usual volume.
    kiosk.driver.execute_script("const v = document.getElementById('volume'); v.value = 20; v.dispatchEvent(new Event('input'));")
    kiosk.tap("退出")
    kiosk.reach("attract")
    if kiosk.driver.execute_script("return document.getElementById('volume').value") != "80":
        fail("the volume the last resident chose outlived the session")
    if kiosk.driver.execute_script("return document.body.classList.contains('elderly')"):
        fail("elderly mode outlived the session")
    kiosk.nothing_left_of(WANG, also=[shown])
    kiosk.card("remove")
    return shown


def proxy_visit(kiosk):
    kiosk.card("put", LI["card"])
    kiosk.reach("agent_pin")
    kiosk.keys("pin", list(AGENT_PIN) + ["确定"])
    kiosk.reach("agent_console")
    kiosk.card("swap", WANG["card"])
    kiosk.reach("proxy_consent")
    if WANG["masked"] not in kiosk.driver.page_source:
        fail("the consent screen does not show whom the agent acts for")
    kiosk.tap("我同意")
    kiosk.reach("home")
    # By department this time: 高龄津贴 is the 民政局's; back from its list returns to the departments.
    kiosk.tap("按部门找")
    kiosk.tap("蜀山区民政局")
    wait("the 民政局's services under its name", lambda: "蜀山区民政局" in kiosk.driver.find_element(By.TAG_NAME, "h1").text)
    kiosk.tap("返回")
    kiosk.tap("蜀山区民政局")
    kiosk.tap("高龄津贴申领")
    kiosk.reach("guide")
    shown, receipt = kiosk.scan_and_submit()
    if "代办" not in receipt:
        fail("the receipt does not name the agent: " + receipt)
    kiosk.tap("下一步：评价")
    kiosk.tap("跳过")
    kiosk.reach("done")
    kiosk.tap("退出")
    kiosk.reach("agent_console")
    kiosk.nothing_left_of(WANG, also=[shown])
    kiosk.tap("本站办件")
    kiosk.reach("station_cases")
    kiosk.tap("返回")
    kiosk.reach("agent_console")
    # For a business: the agent types its credit code (checked) and name.
    kiosk.tap("单位代办")
    kiosk.reach("enterprise")
    code = json.load(open(os.path.join(ROOT, "data/catalogue.json"), encoding="utf-8"))["departments"][0]["credit_code"]
    # On its keyboard (digits and the capitals credit codes use), with the last character wrong; the name in pinyin.
    kiosk.keys("credit-code", list(code[:-1] + ("0" if code[-1] != "0" else "1")) + ["确定"])
    # 示 is on the third page of shi's characters.
    name = kiosk.write("enterprise-name", [("shi", "示"), ("li", "例"), ("ge", "个"), ("ti", "体"), ("hu", "户")])
    if kiosk.driver.find_element(By.ID, "enterprise-name").get_attribute("value") != name:
        fail("the enterprise's name typed in pinyin reads %r" % kiosk.driver.find_element(By.ID, "enterprise-name").get_attribute("value"))
    kiosk.key("enterprise-name", "确定")
    wait("the mistyped credit code refused", lambda: "统一社会信用代码有误：最后一位校验不符" in kiosk.driver.find_element(By.ID, "screen").text)
    kiosk.erase("credit-code")
    kiosk.keys("credit-code", list(code) + ["确定"])
    kiosk.key("enterprise-name", "确定")
    kiosk.reach("home")
    kiosk.tap("退出")
    kiosk.reach("agent_console")
    kiosk.tap("退出登录")
    kiosk.reach("attract")
    kiosk.nothing_left_of(WANG, LI)
    kiosk.card("remove")


def consultation(kiosk):
    kiosk.card("put", WANG["card"])
    kiosk.reach("home")
    kiosk.tap("咨询")
    kiosk.reach("consultation")
    # Typed in pinyin on the on-screen keyboard: a kiosk has no keyboard.
    kiosk.write("consultation-text", [("yang", "养"), ("lao", "老"), ("jin", "金"), ("wan", "晚"), ("le", "了")])
    kiosk.tap("提交")
    kiosk.reach("consultation_sent")
    if "12345-" not in kiosk.driver.find_element(By.ID, "screen").text:
        fail("the consultation's 12345 reference is not shown")
    kiosk.tap("退出")
    kiosk.reach("attract")
    kiosk.nothing_left_of(WANG, also=["养老金晚了"])
    kiosk.card("remove")


def form_typing(kiosk):
    """A name typed in pinyin and a choice tapped on the form of 生育登记, in elderly mode; kioskd keeps both."""
    kiosk.reach("attract")
    kiosk.tap("长辈模式")
    wait("elderly mode", lambda: kiosk.driver.execute_script("return document.body.classList.contains('elderly')"))
    kiosk.card("put", WANG["card"])
    kiosk.reach("home")
    kiosk.tap("按生活事件找")
    kiosk.tap("出生", exact=True)
    kiosk.tap("生育登记", exact=True)
    kiosk.reach("guide")
    kiosk.tap("下一步")
    kiosk.reach("form")
    # 李 is on the third page of li's characters.
    kiosk.write("spouse_name", [("li", "李")])
    kiosk.keys("spouse_name", "mei")
    kiosk.measure("form-pinyin-elderly")  # the keyboard with its candidates, measured like any screen (elderly: 60×60 and larger text)
    kiosk.key("spouse_name", "梅")
    kiosk.key("spouse_name", "确定")
    kiosk.tap("二孩", exact=True)
    field = lambda id: next(f for f in json.load(urllib.request.urlopen(BASE + "/api/screen"))["form"] if f["id"] == id)
    wait("the name and the choice kept by kioskd", lambda: field("spouse_name")["value"] == "李梅" and field("child_order")["value"] == "二孩")
    # The page draws the choice when kioskd pushes the screen, which may come a moment after /api/screen has it.
    ticked = lambda: [b.text for b in kiosk.driver.find_elements(By.CSS_SELECTOR, '#child_order button[aria-checked="true"]')]
    wait("the chosen option ticked (colour is not the only cue), not %r" % ticked(), lambda: ticked() == ["✓ 二孩"])
    # Leaving is one tap from the form, as from every screen of a visit.
    kiosk.tap("退出")
    kiosk.reach("attract")
    kiosk.nothing_left_of(WANG, also=["李梅"])
    kiosk.card("remove")


def english_prompt(kiosk, words):
    """On an English screen the session's own sentence is English: only the catalogue's names and the resident's may be Chinese."""
    def shown():
        prompts = kiosk.driver.find_elements(By.CSS_SELECTOR, "#screen .prompt")
        return prompts[0].text if prompts else ""
    wait("the English prompt %r (on screen: %r)" % (words, shown()), lambda: words in shown())
    said = json.load(urllib.request.urlopen(BASE + "/api/screen"))["prompt"]
    # The catalogue's names and conditions of 高龄津贴申领 (data, in Chinese), and the resident's masked name.
    for name in [WANG["masked"], "高龄津贴申领", "年满80周岁", "户籍在本区", "居民户口簿", "本人社会保障卡或银行卡"]:
        said = said.replace(name, "")
    chinese = [c for c in said if "\u4e00" <= c <= "\u9fff"]
    if chinese:
        fail("the English prompt has Chinese in it: %r" % said)


def english(kiosk):
    kiosk.reach("attract")
    kiosk.tap("English")
    wait("English on the attract screen", lambda: "Please place your ID card" in kiosk.driver.find_element(By.ID, "screen").text)
    kiosk.reach("attract")
    kiosk.card("put", WANG["card"])
    wait("English greeting", lambda: "Hello, " + WANG["masked"] in kiosk.driver.find_element(By.ID, "screen").text)
    kiosk.reach("home")
    english_prompt(kiosk, "Hello, ")
    kiosk.tap("By life event")
    kiosk.tap("养老", exact=True)  # the catalogue's own name
    kiosk.tap("高龄津贴申领")  # the catalogue's own name: the catalogue is Chinese
    kiosk.reach("guide")
    english_prompt(kiosk, "Conditions: ")
    kiosk.tap("Next")
    kiosk.reach("form")
    english_prompt(kiosk, "Fields with a lock come from your ID card")
    kiosk.tap("Leave")
    wait("Chinese again for the next resident", lambda: "请刷身份证" in kiosk.driver.find_element(By.ID, "screen").text)
    kiosk.nothing_left_of(WANG)
    kiosk.card("remove")


def idle_timeout(kiosk):
    kiosk.card("put", WANG["card"])
    kiosk.reach("home")
    kiosk.tap("按生活事件找")
    kiosk.tap("养老", exact=True)
    kiosk.tap("高龄津贴申领")
    kiosk.reach("guide")
    kiosk.tap("下一步")
    kiosk.reach("form")
    kiosk.keys("phone", list("13800000000"))
    wait("the idle warning", lambda: kiosk.driver.find_element(By.ID, "idle").is_displayed(), IDLE_SECONDS)
    # It counts down, a second at a time, to the wipe.
    left = lambda: int(re.search(r"(\d+) 秒后", kiosk.driver.find_element(By.ID, "idle-countdown").text).group(1))
    first = wait("the countdown", lambda: left() if kiosk.driver.find_element(By.ID, "idle-countdown").text else None)
    if not 1 <= first <= 20:
        fail("the countdown starts at %d s; the warning comes 20 s before the end" % first)
    wait("the countdown to go down", lambda: left() < first, 5)
    kiosk.tap("继续办理")
    wait("the warning to go", lambda: not kiosk.driver.find_element(By.ID, "idle").is_displayed())
    kiosk.reach("attract", IDLE_SECONDS + 10)
    kiosk.nothing_left_of(WANG, also=["13800000000"])
    kiosk.card("remove")


def main():
    state = tempfile.mkdtemp(prefix="kioskd-ui-")
    shots = os.environ.get("SCREENSHOTS")
    if shots:
        os.makedirs(shots, exist_ok=True)
    # Li Xiuying's card is an agent's card here.
    pin_hash = subprocess.run(["/bin/sh", "-c", "echo %s | %s agent hash-pin" % (AGENT_PIN, CTL)], check=True, capture_output=True, text=True).stdout.strip()
    agents = os.path.join(state, "agents.json")
    with open(agents, "w") as f:
        json.dump({"agents": [{"id": "agent01", "name": LI["name"], "card_number": LI["number"], "pin_hash": pin_hash}]}, f)
    env = dict(os.environ, STATE_DIR=state, KIOSKD_SESSION_AGENTS_FILE=agents, KIOSKD_SESSION_IDLE_TIMEOUT_SECONDS=str(IDLE_SECONDS),
               KIOSKD_SESSION_IDLE_WARNING_SECONDS="20", **PORTS)
    log = open(os.path.join(state, "demo.log"), "w")
    demo = subprocess.Popen([os.path.join(ROOT, "scripts/demo.sh")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    driver = None
    try:
        wait("kioskd's devices online", lambda: all(c["status"] in ("ok", "online") for c in json.load(urllib.request.urlopen(BASE + "/healthz"))["components"]
                                                     if c["name"] in ("idcard_reader", "receipt_printer", "scanner", "platform")), 30)
        options = webdriver.ChromeOptions()
        for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1080,1920", "--hide-scrollbars", "--lang=zh-CN"]:
            options.add_argument(argument)
        options.binary_location = "/usr/bin/chromium"
        driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
        # A portrait kiosk screen: the page gets exactly 1080×1920 CSS px.
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1080, "height": 1920, "deviceScaleFactor": 1, "mobile": False})
        driver.get(BASE + "/")
        kiosk = Kiosk(driver, state, shots)
        started = time.time()
        # The counters move as a visit happens: read /metrics around the first one.
        before = metrics()
        first = visit(kiosk, elderly=False)
        wait("the visit's application forwarded", lambda: metrics()[("kioskd_applications_forwarded_total", ())] > before[("kioskd_applications_forwarded_total", ())], 30)
        after = metrics()
        moved(before, after, "kioskd_sessions_started_total", by="resident")
        moved(before, after, "kioskd_sessions_completed_total")
        moved(before, after, "kioskd_applications_enqueued_total")
        moved(before, after, "kioskd_applications_forwarded_total")
        moved(before, after, "kioskd_card_reads_total", result="read")
        moved(before, after, "kioskd_upload_bytes_total", delta=(1, 10 ** 9))
        moved(before, after, "kioskd_screen_transition_seconds_count", delta=(8, 100))
        moved(before, after, "kioskd_sessions_abandoned_total", delta=0, reason="idle_timeout")
        if after[("kioskd_queue_applications", (("state", "acknowledged"),))] != 1 or after[("kioskd_device_state", (("device", "receipt_printer"), ("state", "online")))] != 1:
            fail("/metrics does not show one acknowledged application and the receipt printer online")
        second = visit(kiosk, elderly=True)
        proxy_visit(kiosk)
        consultation(kiosk)
        form_typing(kiosk)
        english(kiosk)
        before = metrics()
        idle_timeout(kiosk)
        moved(before, metrics(), "kioskd_sessions_abandoned_total", reason="idle_timeout")
        # Other screens a station may have: a 10-inch portrait panel and a landscape one.
        for width, height in ((800, 1280), (1280, 800)):
            kiosk.resize(width, height)
            driver.refresh()
            visit(kiosk, elderly=False)
            visit(kiosk, elderly=True)
        kiosk.resize(1080, 1920)
        print("ui: visit %s, elderly visit %s, proxy and business visits, 12345, pinyin typing and a choice, English, idle wipe, both visits again at 800×1280 and 1280×800; %d screens measured (targets, contrast, elderly text), %d prompts heard "
              "(%.1f–%.1f s of speech, Mandarin and English) in %.0f s" % (first, second, len(kiosk.checked), len(kiosk.heard), min(kiosk.heard), max(kiosk.heard), time.time() - started))
    except Exception:
        if driver:
            # What the screen showed, for whoever reads the failure.
            driver.save_screenshot(os.path.join(state, "failure.png"))
            print("ui: the screen was %r: %s (screenshot %s/failure.png, log %s/demo.log)" % (
                driver.find_element(By.ID, "screen").get_attribute("data-screen"), driver.find_element(By.TAG_NAME, "body").text[:600], state, state),
                file=sys.stderr)
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
        print("ui FAILED: %s" % failure, file=sys.stderr)
        sys.exit(1)
