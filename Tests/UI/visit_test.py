#!/usr/bin/python3
"""Browser tests of the touchscreen page in headless Chromium (Debian's
chromium + chromium-driver through selenium) at 1080×1920, against kioskd and
hardware-sim started here as `make demo` starts them (scripts/demo.sh). One
demo and one browser serve every scenario:

- a whole visit: a card placed in the ID-card simulator, an item chosen, two
  pages scanned through the eSCL scanner simulator, submitted; the receipt
  the printer simulator printed carries the tracking number shown on screen;
  rated; after the end nothing of the resident is left in the DOM,
  localStorage, sessionStorage or cookies. It runs while a hostile neighbour
  (flood.py, run as nobody) holds 2,000 idle and 200 slow-header connections to kioskd,
  which runs under a 1,024-descriptor limit: kioskd closes them, the visit
  completes, and kioskd answers afterwards;
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
import glob, json, os, re, resource, shutil, signal, subprocess, sys, tempfile, time, urllib.error, urllib.parse, urllib.request

from prometheus_client.parser import text_string_to_metric_families
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from simstation import screen_key  # noqa: E402
PORTS = {"DEMO_LISTEN": "127.0.0.1:18080", "DEMO_PRINTER_PORT": "19100", "DEMO_SCANNER_LISTEN": "127.0.0.1:18090", "DEMO_PLATFORM_LISTEN": "127.0.0.1:18091"}
BASE = "http://" + PORTS["DEMO_LISTEN"]
SIM = os.path.join(ROOT, ".build/debug/hardware-sim")
CTL = os.path.join(ROOT, ".build/debug/kioskctl")
# The simulator's card profiles: residents and, registered below, an agent.
WANG = {"card": "wang-jianguo", "name": "王建国", "number": "340104195803120519", "masked": "王*国"}  # 68: too young for 高龄津贴
ZHAO = {"card": "zhao-shulan", "name": "赵淑兰", "number": "340104194105180042", "masked": "赵*兰"}  # 85, 户籍 in 蜀山区
AGENT = {"card": "zhou-ping-agent", "name": "周平", "number": "34010419790923031X", "masked": "周*"}
CARDS = os.path.join(ROOT, "hardware-sim/cards")
AGENT_PIN = "246810"
IDLE_SECONDS = 30
# Characters written in the standard stroke order, as point lists in a 0–100 box (not from any recogniser's model).
WRITTEN = json.load(open(os.path.join(ROOT, "Tests/Handwriting/strokes.json")))
WRITTEN_BY_CHARACTER = {c["character"]: c["strokes"] for c in WRITTEN["characters"]}
# A finger on the writing box: each stroke's points as pointer events, at the box's place on the screen.
HANDWRITE = r"""
const [box, strokes, size] = arguments;
const r = box.getBoundingClientRect();
const at = (type, [x, y]) => box.dispatchEvent(new PointerEvent(type, { pointerId: 7, pointerType: "touch", isPrimary: true, bubbles: true,
  clientX: r.left + x * r.width / size, clientY: r.top + y * r.height / size }));
for (const stroke of strokes) {
  at("pointerdown", stroke[0]);
  for (const point of stroke.slice(1)) at("pointermove", point);
  at("pointerup", stroke[stroke.length - 1]);
}
"""

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
// Elderly mode asks one thing at a time: at most four choices on a screen. A choice is a button that picks
// something; the way on and back (.actions), the spoken heading and a keyboard's keys are not choices.
if (elderly) {
  const choices = [...document.querySelectorAll('main button')].filter(b => visible(b) && !b.closest('.actions, .keyboard, .keypad') && b.id !== 'prompt');
  if (choices.length > 4) problems.push(`${choices.length} choices in elderly mode, over 4: ${choices.map(b => b.textContent.trim().slice(0, 8)).join(' | ')}`);
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

    def home(self):
        """The home screen; elderly mode that came on by itself (the card says 60 or older) declined with its one tap,
        unless the resident chose it on the attract screen."""
        self.reach("home")
        if self.screen_json().get("elderly_offered"):
            self.tap("不用长辈模式" if self.driver.execute_script("return document.documentElement.lang") != "en" else "Normal mode")
            wait("elderly mode declined", lambda: not self.driver.execute_script("return document.body.classList.contains('elderly')"))

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
            # Not the spoken heading (a tap on it says it again), which may quote a button's words.
            found = [b for b in self.driver.find_elements(By.TAG_NAME, "button")
                     if (b.text == text if exact else text in b.text) and b.is_displayed() and b.get_attribute("id") != "prompt"]
            if not found:
                # In elderly mode a long list shows a few at a time: 更多 brings the next ones.
                more = [b for b in self.driver.find_elements(By.CSS_SELECTOR, '#screen button[data-pictogram="more"]') if b.is_displayed()]
                if more:
                    self.press(more[0])
                    time.sleep(0.2)
                return False
            self.press(found[0])
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
        self.keys(field, ["拼音"])
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

    def handwritten(self, field, strokes):
        """Writes one character with a finger in the field's writing box; the candidates kioskd read, best first."""
        box = self.driver.find_element(By.CSS_SELECTOR, 'canvas.writing[data-field="%s"]' % field)
        self.driver.execute_script(HANDWRITE, box, strokes, WRITTEN["size"])
        wait("the %d strokes read" % len(strokes), lambda: box.get_attribute("data-read") == str(len(strokes)))
        return [b.text for b in self.driver.find_elements(By.CSS_SELECTOR, 'button.candidate[data-field="%s"]' % field)]

    def handwrite(self, field, text):
        """Chinese in the writing box, a character at a time, each tapped among the candidates."""
        self.keys(field, ["手写"])
        for character in text:
            shown = self.handwritten(field, WRITTEN_BY_CHARACTER[character])
            if character not in shown[:5]:
                fail("%s written in the box is not among the first five candidates: %s" % (character, "".join(shown)))
            self.key(field, character)
        if not self.driver.find_element(By.ID, field).get_attribute("value").endswith(text):
            fail("%s reads %r after writing %r by hand" % (field, self.driver.find_element(By.ID, field).get_attribute("value"), text))

    def erase(self, field):
        """⌫ until the field is empty."""
        self.keys(field, [])
        while self.driver.find_element(By.ID, field).get_attribute("value"):
            self.key(field, "⌫")

    def screen_json(self):
        return json.load(urllib.request.urlopen(BASE + "/api/screen"))

    def control(self, device, *words):
        """A command to a simulator's control socket; the JSON after "ok: " where there is some."""
        answer = subprocess.run([SIM, "control", "--socket", os.path.join(self.state, "sim/%s.control" % device), *words],
                                check=True, capture_output=True, text=True).stdout.strip()
        if not answer.startswith("ok"):
            fail("%s %s answered %r" % (device, " ".join(words), answer))
        return answer[len("ok: "):] if answer.startswith("ok: ") else answer

    def printed(self, *words, seconds=20):
        """The text of a receipt-printer job holding every one of `words` (the simulator writes each as text and PNG): its text and PNG path."""
        def find():
            for path in sorted(glob.glob(os.path.join(self.state, "sim/receipts/*.txt"))):
                text = open(path, encoding="utf-8").read()
                flat = re.sub(r"\s+", "", text)
                if all(re.sub(r"\s+", "", w) in flat for w in words):
                    return text, path[:-len(".txt")] + ".png"
            return None
        return wait("a printed job with %s" % ", ".join(words), find, seconds)

    def payload(self, tracking, seconds=30):
        """The application as the platform simulator opened it."""
        path = os.path.join(self.state, "sim/platform", tracking, "payload.json")
        wait("the platform to hold %s" % tracking, lambda: os.path.exists(path), seconds)
        return json.load(open(path, encoding="utf-8"))

    def confirm_conditions(self):
        """On the conditions screen: 符合 for each the card could not answer, then 下一步."""
        self.reach("conditions")
        asked = [i for i, c in enumerate(self.screen_json()["service"]["conditions"]) if c["standing"] == "ask"]
        for index in asked:
            self.confirm_condition(index)
        self.tap("下一步")

    def confirm_condition(self, index):
        """符合 on condition `index`, until the page shows it answered. Found and pressed in one go, and again if
        the page was redrawn under the tap (the push of the previous answer may come between the two); a second
        符合 changes nothing."""
        def answered():
            condition = self.driver.find_element(By.CSS_SELECTOR, '.condition[data-condition="%d"]' % index)
            if condition.find_elements(By.CSS_SELECTOR, 'button[data-pictogram="yes"][aria-checked="true"], p.checked'):
                return self.screen_json()["service"]["conditions"][index]["standing"] == "confirmed"
            self.press(condition.find_element(By.CSS_SELECTOR, 'button[data-pictogram="yes"]'))
            return False
        wait("condition %d confirmed on the page" % index, answered)

    def take_card(self):
        """The visit is over with the card still on the reader: 请取走您的身份证, shown and spoken, until it is taken."""
        self.reach("attract")
        wait("the reminder to take the card", lambda: "请取走您的身份证" in self.driver.find_element(By.ID, "screen").text)
        if self.screen_json().get("prompt") != "请取走您的身份证。":
            fail("the reminder is not what the kiosk says: %r" % self.screen_json().get("prompt"))
        self.card("remove")
        wait("the reminder gone once the card is taken", lambda: "请取走您的身份证" not in self.driver.find_element(By.ID, "screen").text)

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

    def scan_and_submit(self, rescan=False, receipt="受理回执"):
        """From the guide of 高龄津贴申领: form, two scanned pages, submit; returns the tracking number shown.
        With `rescan`, the first page is looked at large, discarded and scanned again (the new page is sent)."""
        self.tap("下一步")
        self.reach("form")
        # The phone on the on-screen keypad, as a resident without a keyboard would.
        self.keys("phone", list("13912345678") + ["确定"])
        wait("the phone kept by kioskd", lambda: next(f for f in self.screen_json()["form"] if f["id"] == "phone")["value"] == "13912345678")
        self.keys("bank_account", list("6222020200112233446") + ["确定"])
        wait("the bank account kept by kioskd", lambda: next(f for f in self.screen_json()["form"] if f["id"] == "bank_account")["value"] == "6222020200112233446")
        self.tap("下一步")
        self.reach("materials")
        for material in ("居民户口簿", "本人社会保障卡或银行卡"):
            self.tap("扫描", exact=True)
            wait("%s scanned" % material, lambda: "%s（已扫描 1 页）" % material in self.driver.find_element(By.ID, "screen").text, 30)
        thumbnails = lambda: (lambda images: images if len(images) == 2 and all(
            self.driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", i) for i in images) else None)(
            self.driver.find_elements(By.CSS_SELECTOR, "img.thumbnail"))
        images = wait("two thumbnails", thumbnails)
        replaced = None
        if rescan:
            # A badly scanned page: looked at large, discarded, scanned again.
            old = urllib.request.urlopen(BASE + urllib.parse.urlparse(images[0].get_attribute("src")).path).read()
            wait("the first page's thumbnail pressed", lambda: self.press(self.driver.find_elements(By.CSS_SELECTOR, "button.thumbnail-button")[0]) or True)
            self.reach("page")
            wait("the page large", lambda: self.driver.execute_script("const i = document.getElementById('page-large'); return i.complete && i.naturalWidth > 0"))
            self.tap("删除此页")
            self.reach("materials")
            wait("居民户口簿 needed again", lambda: "居民户口簿（已扫描" not in self.driver.find_element(By.ID, "screen").text)
            self.tap("扫描", exact=True)
            wait("居民户口簿 scanned again", lambda: "居民户口簿（已扫描 1 页）" in self.driver.find_element(By.ID, "screen").text, 30)
            images = wait("two thumbnails again", thumbnails)
            replaced = urllib.request.urlopen(BASE + urllib.parse.urlparse(images[0].get_attribute("src")).path).read()
            if replaced == old:
                fail("the page scanned again is the page discarded")
        # Each scanned page shows as a thumbnail, served by kioskd for this session only.
        self.pages = [urllib.parse.urlparse(i.get_attribute("src")).path for i in images]
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
        printed, _ = self.printed(shown, receipt)
        if replaced is not None:
            sent = self.payload(shown)
            pages = [open(os.path.join(self.state, "sim/platform", shown, "attachment-%d" % a["index"]), "rb").read()
                     for a in sent["attachments"] if a["material"] == "hukou_book"]
            if pages != [replaced]:
                fail("the platform holds %d 户口簿 page(s), not the one scanned again" % len(pages))
        return shown, printed


def by_pictures(kiosk):
    """A resident who reads little: a whole visit chosen by pictures alone (data-pictogram, never a button's words),
    the speech of every screen fetched, and the step of the visit shown on each of its screens."""
    steps = {"home": 1, "browse": 1, "guide": 2, "conditions": 2, "form": 3, "materials": 4, "review": 5, "receipt": 5}

    def arrive(name):
        kiosk.reach(name)
        kiosk.hear(name)
        step = kiosk.driver.find_elements(By.ID, "step")
        shown = int(step[0].get_attribute("data-step")) if step else None
        if shown != steps.get(name):
            fail("the %s screen shows step %r of the visit, not %r" % (name, shown, steps.get(name)))

    def pick(selector):
        """The one visible button with this picture (scoped by a container where a screen repeats one), drawn, then pressed."""
        seen = []

        def press():
            shown = [b for b in kiosk.driver.find_elements(By.CSS_SELECTOR, "#screen " + selector) if b.is_displayed()]
            seen[:] = [len(shown)]
            if len(shown) != 1:
                return False
            name = shown[0].get_attribute("data-pictogram")
            drawn = kiosk.driver.execute_script(
                "const s = arguments[0].querySelector('svg.pictogram'), u = s && s.querySelector('use');"
                "const box = s && s.getBoundingClientRect(), ink = u && u.getBoundingClientRect();"
                "return !!(u && u.getAttribute('href') === '#pictogram-' + arguments[1] && document.querySelector('symbol#pictogram-' + arguments[1] + ' title')"
                "  && box.width >= 32 && box.height >= 32 && ink.width * ink.height > 0)",
                shown[0], name)
            seen.append(drawn)
            if not drawn:
                return False
            kiosk.press(shown[0])
            return True
        try:
            wait("the picture %s on %s" % (selector, kiosk.screen()), press)
        except AssertionError:
            fail("no single button with the picture %s drawn on %s (buttons matching, drawn: %r)" % (selector, kiosk.screen(), seen))

    def digits(field, number):
        for digit in list(number) + ["enter"]:
            wait("the key %s of %s" % (digit, field), lambda: kiosk.press(kiosk.driver.find_element(By.CSS_SELECTOR, '[data-field="%s"][data-key="%s"]' % (field, digit))) or True)
        wait("%s kept by kioskd" % field, lambda: next(f for f in kiosk.screen_json()["form"] if f["id"] == field)["value"] == number)

    arrive("attract")
    kiosk.card("put", ZHAO["card"])
    arrive("home")
    # 赵淑兰 is 85: elderly mode came on by itself; she declines it by its picture too.
    pick('[data-pictogram="glasses"]')
    wait("elderly mode declined", lambda: not kiosk.screen_json()["elderly_mode"])
    pick('[data-pictogram="life_events"]')
    wait("the life events", lambda: kiosk.screen_json().get("categories"))
    arrive("browse")
    pick('[data-pictogram="elderly"]')
    wait("the services of 养老", lambda: kiosk.screen_json().get("menu"))
    kiosk.hear("browse")
    pick('[data-pictogram="longevity_peach"]')
    arrive("guide")
    pick('[data-pictogram="next"]')
    if wait("the next screen", lambda: kiosk.screen() in ("conditions", "form") and kiosk.screen()) == "conditions":
        arrive("conditions")
        for index, condition in enumerate(kiosk.screen_json()["service"]["conditions"]):
            if condition["standing"] == "ask":
                pick('[data-condition="%d"] [data-pictogram="yes"]' % index)
        pick('[data-pictogram="next"]')
    arrive("form")
    digits("phone", "13912345678")
    digits("bank_account", "6222020200112233446")
    pick('[data-pictogram="next"]')
    arrive("materials")
    for material in kiosk.screen_json()["materials"]:
        pick('[data-material="%s"] [data-pictogram="scan"]' % material["id"])
        wait("%s scanned" % material["name"], lambda: next(m for m in kiosk.screen_json()["materials"] if m["id"] == material["id"])["status"] == "scanned", 30)
    pick('[data-pictogram="next"]')
    arrive("review")
    pick('[data-pictogram="station"]')
    wait("到本站领取 chosen", lambda: kiosk.screen_json()["delivery"]["chosen"] == "station_pickup")
    pick('[data-pictogram="submit"]')
    arrive("receipt")
    tracking = kiosk.screen_json()["receipt"]["tracking_number"]
    pick('[data-pictogram="next"]')
    arrive("rating")
    pick('[data-pictogram="face_satisfied"]')
    wait("满意 chosen", lambda: kiosk.screen_json()["rating"]["level"] == 2)
    pick('[data-pictogram="submit"]')
    arrive("done")
    pick('[data-pictogram="exit"]')
    kiosk.take_card()
    if kiosk.payload(tracking)["form"].get("delivery") != "station_pickup":
        fail("the platform holds %s with delivery %r, not the 到本站领取 chosen by its picture" % (tracking, kiosk.payload(tracking)["form"].get("delivery")))
    kiosk.nothing_left_of(ZHAO, also=[tracking])
    return tracking


DESCRIPTOR_LIMIT = 1024


class Flood:
    """2,000 idle and 200 slow-header connections to kioskd from another
    user's process (nobody, when the test runs as root), each reopened when
    kioskd closes it, while a visit runs."""

    def __init__(self, state):
        self.kioskd = int(subprocess.run(["pgrep", "-f", "kioskd run --state-dir %s" % state], capture_output=True, text=True).stdout.split()[0])
        command = [sys.executable, os.path.join(ROOT, "Tests/UI/flood.py"), PORTS["DEMO_LISTEN"], "2000", "200"]
        if os.getuid() == 0:
            # Another user on the machine, from a copy it may read.
            folder = tempfile.mkdtemp(prefix="kioskd-flood-")
            os.chmod(folder, 0o755)
            shutil.copy(command[1], folder)
            command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable, os.path.join(folder, "flood.py")] + command[2:]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        if self.process.stdout.readline().strip() != "flooding":
            fail("the flood did not start: status %s" % self.process.wait(10))

    def descriptors(self):
        return len(os.listdir("/proc/%d/fd" % self.kioskd))

    def stop(self):
        held = self.descriptors()
        self.process.send_signal(signal.SIGTERM)
        stats = json.loads(self.process.communicate(timeout=30)[0].strip().splitlines()[-1])
        if stats["closed_by_kioskd"] < 2000:
            fail("kioskd closed only %d of the flood's connections: %s" % (stats["closed_by_kioskd"], stats))
        if held >= DESCRIPTOR_LIMIT - 64:
            fail("kioskd held %d descriptors under the flood, close to its limit of %d" % (held, DESCRIPTOR_LIMIT))
        stats["kioskd_descriptors"] = held
        return stats


def visit(kiosk, elderly, first=False):
    kiosk.reach("attract")
    if elderly:
        kiosk.tap("长辈模式")
        wait("elderly mode", lambda: kiosk.driver.execute_script("return document.body.classList.contains('elderly')"))
        kiosk.reach("attract")
    kiosk.card("put", ZHAO["card"])
    kiosk.reach("home")
    if ZHAO["masked"] not in kiosk.driver.page_source:
        fail("the home screen does not greet the resident by masked name")
    kiosk.home()
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
    if first:
        # 呼叫工作人员 from the footer: the resident hears that someone is coming, and the button says so.
        kiosk.tap("呼叫工作人员")
        staff = lambda: kiosk.driver.find_element(By.ID, "call-staff").get_attribute("data-staff")
        wait("the call for staff shown", lambda: staff() == "called" and "已呼叫" in kiosk.driver.find_element(By.ID, "call-staff").text)
        if "已呼叫工作人员" not in (kiosk.screen_json().get("prompt") or ""):
            fail("the resident is not told that staff are coming: %r" % kiosk.screen_json().get("prompt"))
    guide = kiosk.driver.find_element(By.ID, "screen").text
    for part in ("年满80周岁", "居民户口簿", "原件1份", "户主页和本人页", "可由平台调取", "法定", "咨询电话"):
        if part not in guide:
            fail("the guide does not show %s" % part)
    shown, receipt = kiosk.scan_and_submit(rescan=first)
    if "承诺办结日期" not in receipt or ZHAO["masked"] not in receipt:
        fail("the printed receipt lacks the promise or the masked applicant: " + receipt)
    if first:
        # Another copy after a good print: marked 重印, in the audit trail.
        kiosk.tap("打印回执")
        kiosk.printed(shown, "重印")
    kiosk.tap("下一步：评价")
    kiosk.reach("rating")
    kiosk.tap("满意", exact=True)
    wait("the reasons of 满意", lambda: kiosk.driver.find_elements(By.CSS_SELECTOR, "#rating-reasons button"))
    if first:
        # Two reasons and a comment, sent to the 好差评 system exactly as chosen.
        for reason in ("操作简单", "一次办成"):
            kiosk.tap(reason)
            wait("%s ticked" % reason, lambda: reason in kiosk.screen_json()["rating"]["chosen"])
        comment = kiosk.write("rating-comment", [("hen", "很"), ("fang", "方"), ("bian", "便")])
        kiosk.key("rating-comment", "确定")
    kiosk.tap("提交评价")
    kiosk.reach("done")
    if first:
        wait("the rating at the platform", lambda: any(r.get("comment") == comment for r in json.loads(kiosk.control("platform", "ratings"))), 40)
        rating = next(r for r in json.loads(kiosk.control("platform", "ratings")) if r.get("comment") == comment)
        if rating["satisfaction"] != 2 or rating["reasons"] != ["操作简单", "一次办成"] or rating["channel"] != "5":
            fail("the platform holds the rating as %r" % rating)
    # The resident turned the voice down; the next one starts at the usual volume.
    kiosk.driver.execute_script("const v = document.getElementById('volume'); v.value = 20; v.dispatchEvent(new Event('input'));")
    kiosk.tap("退出")
    kiosk.take_card()
    if kiosk.driver.find_element(By.ID, "call-staff").get_attribute("data-staff") != "idle":
        fail("the call for staff outlived the visit")
    if kiosk.driver.execute_script("return document.getElementById('volume').value") != "80":
        fail("the volume the last resident chose outlived the session")
    if kiosk.driver.execute_script("return document.body.classList.contains('elderly')"):
        fail("elderly mode outlived the session")
    kiosk.nothing_left_of(ZHAO, also=[shown] + (["很方便"] if first else []))
    return shown


def platform_status():
    return next(c["status"] for c in json.load(urllib.request.urlopen(BASE + "/healthz"))["components"] if c["name"] == "platform")


def road_back(kiosk):
    """The link down while 赵淑兰 applies: the screen, the voice and the receipt say the application is saved and will be sent
    (申请回执), never 已提交 or 受理, and 我的办件 says 已保存，待上报. The link back: the platform has it once, and 我的办件 shows 已受理.
    The office returns it asking for the 户口簿 again: 我的办件 shows and reads out the reason and what to supply."""
    kiosk.control("platform", "refuse")
    wait("kioskd to see the platform gone", lambda: platform_status() == "offline", 30)
    kiosk.reach("attract")
    kiosk.card("put", ZHAO["card"])
    kiosk.home()
    kiosk.tap("按拼音首字母查找")
    kiosk.reach("browse")
    for letter in "GL":
        kiosk.tap(letter, exact=True)
    kiosk.tap("高龄津贴申领")
    kiosk.reach("guide")
    shown, printed = kiosk.scan_and_submit(receipt="申请回执")
    status = kiosk.driver.find_element(By.ID, "receipt-status").text
    said = kiosk.screen_json().get("prompt") or ""
    for words, where in ((status, "on the screen"), (said, "spoken"), (printed, "on the receipt")):
        if "联网后自动报送平台" not in words or "平台已受理" in words or "已提交" in words or "受理回执" in words:
            fail("offline, the receipt %s does not say the application is saved and will be sent, or says more: %r" % (where, words))
    kiosk.tap("下一步：评价")
    kiosk.reach("rating")
    kiosk.tap("跳过")
    kiosk.reach("done")
    kiosk.tap("我的办件")
    kiosk.reach("my_cases")
    wait("the case shown as saved, to be sent", lambda: "已保存，待上报" in kiosk.driver.find_element(By.ID, "my-cases").text)

    kiosk.control("platform", "accept")
    kiosk.payload(shown)
    if json.loads(kiosk.control("platform", "acceptances")).get(shown) != 1:
        fail("the platform does not hold %s exactly once" % shown)
    kiosk.control("platform", "return", shown, "居民户口簿", "户主页不清晰，请重新扫描")

    def case_line():
        kiosk.tap("返回上一步")
        kiosk.reach("home")
        kiosk.tap("我的办件")
        kiosk.reach("my_cases")
        return kiosk.driver.find_element(By.ID, "my-cases").text
    line = wait("the 退回 in 我的办件", lambda: (lambda text: text if "已退回" in text else None)(case_line()), 30)
    for part in ("户主页不清晰，请重新扫描", "需补正：居民户口簿", shown):
        if part not in line:
            fail("我的办件 does not show %s: %r" % (part, line))
    said = kiosk.screen_json().get("prompt") or ""
    if "高龄津贴申领，已退回：户主页不清晰，请重新扫描；需补正：居民户口簿。" not in said:
        fail("我的办件 does not read out the 退回 with its reason and what to supply: %r" % said)
    kiosk.tap("退出")
    kiosk.take_card()
    kiosk.nothing_left_of(ZHAO, also=[shown, "户主页不清晰"])
    return shown


def elderly_offer(kiosk):
    """A card of someone 60 or older (王建国, 68): elderly mode comes on by itself, said and shown with a one-tap way out;
    then one thing at a time (a condition, a field), at most four choices on every screen, each screen measured."""
    kiosk.reach("attract")
    kiosk.card("put", WANG["card"])
    kiosk.reach("home")
    if not kiosk.driver.execute_script("return document.body.classList.contains('elderly')") or not kiosk.screen_json().get("elderly_offered"):
        fail("elderly mode did not come on for a 68-year-old's card")
    if "已为您打开长辈模式" not in kiosk.screen_json()["prompt"]:
        fail("the resident is not told elderly mode came on: %r" % kiosk.screen_json()["prompt"])
    kiosk.measure("home-elderly-offered")
    if not [b for b in kiosk.driver.find_elements(By.CSS_SELECTOR, "#screen button") if b.text == "不用长辈模式" and b.is_displayed()]:
        fail("no one-tap way out of elderly mode on the home screen")
    kiosk.tap("按生活事件找")
    kiosk.tap("养老", exact=True)
    kiosk.tap("城乡居民基本养老保险待遇领取")
    kiosk.reach("guide")
    kiosk.tap("下一步")
    kiosk.reach("conditions")
    # One condition asked at a time, each answered with 符合.
    while any(c["standing"] == "ask" for c in kiosk.screen_json()["service"]["conditions"]):
        open_index = [c["standing"] for c in kiosk.screen_json()["service"]["conditions"]].index("ask")

        def asked_on_page():
            # Once the page is drawn for this question: the conditions that have buttons.
            if not kiosk.driver.find_elements(By.CSS_SELECTOR, '.condition[data-condition="%d"] button' % open_index):
                return None
            return [d.get_attribute("data-condition") for d in kiosk.driver.find_elements(By.CSS_SELECTOR, ".condition") if d.find_elements(By.TAG_NAME, "button")]
        asked = wait("condition %d asked on the page" % open_index, asked_on_page)
        if asked != [str(open_index)]:
            fail("conditions %s asked at once in elderly mode" % ", ".join(asked))
        before = [c["standing"] for c in kiosk.screen_json()["service"]["conditions"]].count("ask")
        kiosk.confirm_condition(open_index)
        kiosk.measure("conditions-elderly-%d" % before)
    kiosk.tap("下一步")
    kiosk.reach("form")
    editable = [e.get_attribute("id") for e in kiosk.driver.find_elements(By.CSS_SELECTOR, "#screen input:not([readonly])")]
    if editable != ["phone"]:
        fail("elderly mode shows these fields to fill at once: %r" % editable)
    kiosk.tap("退出")
    kiosk.take_card()
    kiosk.nothing_left_of(WANG)


def age_rule(kiosk):
    """A 68-year-old asks for 高龄津贴 (80 and over): told why, by screen and voice, with what to apply for instead; nothing submitted."""
    before = metrics()
    kiosk.card("put", WANG["card"])
    kiosk.home()
    kiosk.tap("按生活事件找")
    kiosk.tap("养老", exact=True)
    kiosk.tap("高龄津贴申领")
    kiosk.reach("ineligible")
    reason = kiosk.driver.find_element(By.ID, "ineligible-reason").text
    if "您今年68周岁，本事项要求年满80周岁" not in reason or kiosk.screen_json()["prompt"] != reason:
        fail("the age refusal reads %r and says %r" % (reason, kiosk.screen_json()["prompt"]))
    kiosk.tap("改办：城乡居民基本养老保险待遇领取")
    kiosk.reach("guide")
    kiosk.tap("退出")
    kiosk.take_card()
    moved(before, metrics(), "kioskd_applications_enqueued_total", delta=0)
    kiosk.nothing_left_of(WANG)


def every_card(kiosk):
    """Every card the reader decodes finishes a visit to a printed receipt: 社会保障卡补换 for each shipped profile that
    is not expired (the agent's card logs the agent in). The first has the result posted to an address it corrects."""
    profiles = []
    for path in sorted(glob.glob(os.path.join(CARDS, "*.json"))):
        card = json.load(open(path, encoding="utf-8"))
        until = card.get("valid_until", "")
        name = os.path.basename(path)[:-len(".json")]
        if (until == "长期" or until >= time.strftime("%Y%m%d")) and name != AGENT["card"]:
            profiles.append((name, card))
    if len(profiles) < 9:
        fail("only %d card profiles to visit with" % len(profiles))
    for position, (name, card) in enumerate(profiles):
        kiosk.card("put", name)
        kiosk.home()
        kiosk.tap("按拼音首字母查找")
        for letter in "SHBZK":
            kiosk.tap(letter, exact=True)
        kiosk.tap("社会保障卡补换")
        kiosk.reach("guide")
        kiosk.tap("下一步")
        kiosk.confirm_conditions()
        kiosk.reach("form")
        form = {f["id"]: f for f in kiosk.screen_json()["form"]}
        if card.get("type") and form["applicant_id"]["label"] == "公民身份号码":
            fail("%s: the form calls the number of a %s a 公民身份号码" % (name, card["type"]))
        masked = card["number"][:4] + "*" * (len(card["number"]) - 8) + card["number"][-4:]
        if form["applicant_id"]["value"] != masked or not form["applicant_id"]["locked"]:
            fail("%s: the card's number is not on the form masked as %s, but %r" % (name, masked, form["applicant_id"]["value"]))
        kiosk.keys("phone", list("13912345678") + ["确定"])
        kiosk.tap("遗失", exact=True)
        wait("the form filled", lambda: {f["id"]: f["value"] for f in kiosk.screen_json()["form"]}["reason"] == "遗失")
        kiosk.tap("下一步")
        kiosk.reach("materials")
        kiosk.tap("由平台调取")
        kiosk.tap("检查是否齐全")
        kiosk.reach("review")
        address = None
        if position == 0:
            kiosk.tap("邮寄送达")
            wait("the address field", lambda: kiosk.driver.find_elements(By.ID, "postal-address"))
            prefilled = kiosk.driver.find_element(By.ID, "postal-address").get_attribute("value")
            if prefilled != card["address"]:
                fail("the postal address is %r, not the card's %r" % (prefilled, card.get("address")))
            # The resident corrects the house number: ⌫ three times, then 8号 on the keyboard.
            kiosk.keys("postal-address", ["⌫", "⌫", "⌫", "123", "8", "号", "确定"])
            address = card["address"][:-3] + "8号"
            wait("the address kept by kioskd", lambda: kiosk.screen_json()["delivery"]["postal_address"] == address)
        kiosk.tap("提交申请")
        kiosk.reach("receipt", 30)
        shown = kiosk.driver.find_element(By.ID, "tracking-number").text
        printed, _ = kiosk.printed(shown, "受理回执")
        record = kiosk.payload(shown)
        if record["applicant_certificate_number"] != card["number"]:
            fail("%s: the platform's record names another certificate" % name)
        expected = {"foreign_permanent_resident": "553", "hmt_residence_permit": "990"}.get(card.get("type"), "111")
        if record["applicant_certificate_type"] != expected:
            fail("%s: certificate type %s, not %s" % (name, record["applicant_certificate_type"], expected))
        if address:
            if "邮寄地址：" + address not in re.sub(r"\s+", "", printed) or record["form"].get("postal_address") != address:
                fail("the corrected address is not on the receipt and in the application: %r / %r" % (printed, record["form"].get("postal_address")))
        kiosk.tap("下一步：评价")
        kiosk.tap("跳过")
        kiosk.reach("done")
        kiosk.tap("退出")
        kiosk.take_card()
        person = {"name": card["name"], "number": card["number"], "masked": "\u0000"}
        kiosk.nothing_left_of(person, also=[shown] + ([address] if address else []))


def incomplete_notice(kiosk):
    """An incomplete case leaves with a 一次性告知单 printed: what is missing and where to get it, the station's phone, the guide's QR code."""
    kiosk.card("put", ZHAO["card"])
    kiosk.home()
    kiosk.tap("按拼音首字母查找")
    for letter in "ZDSH":
        kiosk.tap(letter, exact=True)
    kiosk.tap("最低生活保障申请")
    kiosk.reach("guide")
    kiosk.tap("下一步")
    kiosk.confirm_conditions()
    kiosk.reach("form")
    kiosk.keys("phone", list("13912345678") + ["确定"])
    for field, digits in (("household_size", "2"), ("monthly_income", "800"), ("bank_account", "6222020200112233446")):
        kiosk.keys(field, list(digits) + ["确定"])
    wait("the form filled", lambda: all(f["value"] for f in kiosk.screen_json()["form"] if f["required"]))
    kiosk.tap("下一步")
    kiosk.reach("materials")
    kiosk.tap("检查是否齐全")
    kiosk.reach("incomplete")
    kiosk.tap("打印一次性告知单")
    text, png = kiosk.printed("一次性告知单", "最低生活保障申请", "家庭收入及财产状况声明", "户籍所在地派出所", "本站电话")
    if ZHAO["name"] in text:
        fail("the 一次性告知单 prints the resident's name unmasked")
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", png], capture_output=True, text=True).stdout.strip()
    if not decoded.endswith("/guide/0500007000"):
        fail("the 一次性告知单's QR code reads %r" % decoded)
    kiosk.tap("退出")
    kiosk.take_card()
    kiosk.nothing_left_of(ZHAO)


def proxy_visit(kiosk):
    kiosk.card("put", AGENT["card"])
    kiosk.reach("agent_pin")
    kiosk.keys("pin", list(AGENT_PIN) + ["确定"])
    kiosk.reach("agent_console")
    kiosk.card("swap", ZHAO["card"])
    kiosk.reach("proxy_consent")
    if ZHAO["masked"] not in kiosk.driver.page_source:
        fail("the consent screen does not show whom the agent acts for")
    kiosk.tap("我同意")
    kiosk.home()
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
    # The application form on A4 for the resident's signature: through cupsd and cups-pdf, its Chinese real text.
    pdfs = os.path.expanduser("~/PDF")
    before = set(glob.glob(os.path.join(pdfs, "*.pdf")))
    kiosk.tap("打印申请表")
    pdf = wait("the A4 form from cups-pdf", lambda: next(iter(set(glob.glob(os.path.join(pdfs, "*.pdf"))) - before), None), 30)
    text = wait("the PDF written", lambda: subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout, 10)
    flat = re.sub(r"\s+", "", text)
    for words in ("高龄津贴申领申请表", "申请人：" + ZHAO["name"], "证件类型：居民身份证", "证件号码：" + ZHAO["number"], shown, "申请人（签字）", "代办人（签字）"):
        if re.sub(r"\s+", "", words) not in flat:
            fail("pdftotext does not read %s in the A4 form: %r" % (words, text[:400]))
    os.remove(pdf)
    kiosk.tap("下一步：评价")
    kiosk.tap("跳过")
    kiosk.reach("done")
    kiosk.tap("退出")
    kiosk.reach("agent_console")
    kiosk.nothing_left_of(ZHAO, also=[shown])
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
    kiosk.home()
    kiosk.tap("退出")
    kiosk.reach("agent_console")
    kiosk.tap("退出登录")
    kiosk.reach("attract")
    kiosk.nothing_left_of(ZHAO, AGENT)
    kiosk.card("remove")


def consultation(kiosk):
    """A complaint to 12345: the kind chosen on the screen, the text typed in pinyin; the platform receives it as a complaint."""
    kiosk.card("put", WANG["card"])
    kiosk.home()
    kiosk.tap("12345")
    kiosk.reach("consultation")
    kiosk.tap("投诉", exact=True)
    wait("the complaint chosen", lambda: kiosk.screen_json().get("consultation_kind") == "complaint")
    # Typed in pinyin on the on-screen keyboard: a kiosk has no keyboard.
    kiosk.write("consultation-text", [("yang", "养"), ("lao", "老"), ("jin", "金"), ("wan", "晚"), ("le", "了")])
    kiosk.tap("提交")
    kiosk.reach("consultation_sent")
    if "12345-" not in kiosk.driver.find_element(By.ID, "screen").text:
        fail("the consultation's 12345 reference is not shown")
    received = json.loads(kiosk.control("platform", "consultations"))
    if {"kind": "投诉", "content": "养老金晚了"} not in received:
        fail("the platform received %r, not the complaint" % received)
    kiosk.tap("退出")
    kiosk.take_card()
    kiosk.nothing_left_of(WANG, also=["养老金晚了"])


def form_typing(kiosk):
    """A name typed in pinyin and a choice tapped on the form of 生育登记, in elderly mode; kioskd keeps both."""
    kiosk.reach("attract")
    kiosk.tap("长辈模式")
    wait("elderly mode", lambda: kiosk.driver.execute_script("return document.body.classList.contains('elderly')"))
    kiosk.card("put", WANG["card"])
    kiosk.home()
    kiosk.tap("按生活事件找")
    kiosk.tap("出生", exact=True)
    kiosk.tap("生育登记", exact=True)
    kiosk.reach("guide")
    kiosk.tap("下一步")
    kiosk.confirm_conditions()
    kiosk.reach("form")
    # Elderly mode asks one field at a time, in the form's order: the phone first.
    kiosk.keys("phone", list("13912345678") + ["确定"])
    wait("the spouse's name asked next", lambda: kiosk.driver.find_element(By.ID, "spouse_name").tag_name == "input")
    # A name's keyboard opens on the commonest surnames; elderly mode then goes on to the writing box.
    kiosk.keys("spouse_name", [])
    kiosk.measure("form-surnames-elderly")  # each keyboard measured like any screen (elderly: larger targets and text)
    kiosk.key("spouse_name", "李")
    rates = handwriting_fixture(kiosk, "spouse_name")
    kiosk.handwrite("spouse_name", "秀")
    kiosk.measure("form-writing-elderly")
    kiosk.handwrite("spouse_name", "英")
    # A slip: the wrong character is taken out with ⌫ and written again.
    kiosk.handwrite("spouse_name", "王")
    kiosk.key("spouse_name", "⌫")
    kiosk.keys("spouse_name", ["拼音", "m", "e", "i"])
    kiosk.measure("form-pinyin-elderly")
    kiosk.key("spouse_name", "⌫")
    kiosk.key("spouse_name", "⌫")
    kiosk.key("spouse_name", "⌫")
    kiosk.key("spouse_name", "确定")
    # Elderly mode asks one field at a time: the spouse's ID number comes next, then the choice.
    wait("the spouse's ID number asked next", lambda: kiosk.driver.find_element(By.ID, "spouse_id").tag_name == "input")
    kiosk.keys("spouse_id", list("340104196005060026") + ["确定"])
    kiosk.tap("二孩", exact=True)
    field = lambda id: next(f for f in json.load(urllib.request.urlopen(BASE + "/api/screen"))["form"] if f["id"] == id)
    wait("the name and the choice kept by kioskd", lambda: field("spouse_name")["value"] == "李秀英" and field("child_order")["value"] == "二孩")
    # The page draws the choice when kioskd pushes the screen, which may come a moment after /api/screen has it:
    # in elderly mode the form moves on to the next field and shows the choice made as its value.
    shown = lambda: kiosk.driver.find_element(By.ID, "child_order").text
    wait("the choice shown as the field's value, not %r" % shown(), lambda: shown() == "二孩")
    # Leaving is one tap from the form, as from every screen of a visit.
    kiosk.tap("退出")
    kiosk.take_card()
    kiosk.nothing_left_of(WANG, also=["李秀英"])
    return rates


def handwriting_fixture(kiosk, field):
    """Every character of Tests/Handwriting/strokes.json written in the field's box, through the page to kioskd and back:
    how often the right one is the first candidate, and among the first five."""
    kiosk.keys(field, ["手写"])
    ranks = []
    for written in WRITTEN["characters"]:
        shown = kiosk.handwritten(field, written["strokes"])
        ranks.append(shown.index(written["character"]) + 1 if written["character"] in shown else None)
        kiosk.key(field, "重写")
    first, five = sum(r == 1 for r in ranks), sum(r is not None and r <= 5 for r in ranks)
    if five < 0.9 * len(ranks):
        fail("only %d of %d handwritten characters had the right one among the first five candidates" % (five, len(ranks)))
    return first, five, len(ranks)


def english_prompt(kiosk, words, read_out=False):
    """On an English screen the session's own sentence is English: only the catalogue's names and the resident's may be Chinese.
    It is the screen's heading, except where it reads the screen out (read_out: a guide)."""
    def shown():
        if read_out:
            return kiosk.screen_json().get("prompt") or ""
        prompts = kiosk.driver.find_elements(By.ID, "prompt")
        return prompts[0].text if prompts else ""
    wait("the English prompt %r (on screen: %r)" % (words, shown()), lambda: words in shown())
    said = json.load(urllib.request.urlopen(BASE + "/api/screen"))["prompt"]
    # The catalogue's own words about 高龄津贴申领 (data, in Chinese: names, conditions, notes), and the resident's masked name.
    item = next(i for i in json.load(open(os.path.join(ROOT, "data/catalogue.json"), encoding="utf-8"))["items"] if i["code"] == "0500012000")
    catalogue = [item["name"]] + [c if isinstance(c, str) else c["text"] for c in item["conditions"]] + [
        w for m in item["materials"] for w in (m["name"], m.get("notes") or "")]
    for name in sorted([ZHAO["masked"]] + [w for w in catalogue if w], key=len, reverse=True):
        said = said.replace(name, "")
    chinese = [c for c in said if "\u4e00" <= c <= "\u9fff"]
    if chinese:
        fail("the English prompt has Chinese in it: %r" % said)


def english(kiosk):
    kiosk.reach("attract")
    kiosk.tap("English")
    wait("English on the attract screen", lambda: "Please place your ID card" in kiosk.driver.find_element(By.ID, "screen").text)
    kiosk.reach("attract")
    kiosk.card("put", ZHAO["card"])
    wait("English greeting", lambda: "Hello, " + ZHAO["masked"] in kiosk.driver.find_element(By.ID, "screen").text)
    kiosk.reach("home")
    english_prompt(kiosk, "Hello, ")
    kiosk.home()
    kiosk.tap("By life event")
    kiosk.tap("养老", exact=True)  # the catalogue's own name
    kiosk.tap("高龄津贴申领")  # the catalogue's own name: the catalogue is Chinese
    kiosk.reach("guide")
    english_prompt(kiosk, "Conditions: ", read_out=True)
    kiosk.tap("Next")
    kiosk.reach("form")
    english_prompt(kiosk, "Fields with a lock come from your ID card")
    kiosk.tap("Leave")
    kiosk.take_card()
    wait("Chinese again for the next resident", lambda: "请刷身份证" in kiosk.driver.find_element(By.ID, "screen").text)
    kiosk.nothing_left_of(ZHAO)


def idle_timeout(kiosk):
    kiosk.card("put", ZHAO["card"])
    kiosk.home()
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
    # The resident walked away: the card left behind is asked for until it is taken.
    kiosk.take_card()
    kiosk.nothing_left_of(ZHAO, also=["13800000000"])


def main():
    state = tempfile.mkdtemp(prefix="kioskd-ui-")
    shots = os.environ.get("SCREENSHOTS")
    if shots:
        os.makedirs(shots, exist_ok=True)
    # Zhou Ping's card is the station agent's here.
    pin_hash = subprocess.run(["/bin/sh", "-c", "echo %s | %s agent hash-pin" % (AGENT_PIN, CTL)], check=True, capture_output=True, text=True).stdout.strip()
    agents = os.path.join(state, "agents.json")
    with open(agents, "w") as f:
        json.dump({"agents": [{"id": "agent01", "name": AGENT["name"], "card_number": AGENT["number"], "pin_hash": pin_hash}]}, f)
    env = dict(os.environ, STATE_DIR=state, KIOSKD_SESSION_AGENTS_FILE=agents, KIOSKD_SESSION_IDLE_TIMEOUT_SECONDS=str(IDLE_SECONDS),
               KIOSKD_SESSION_ELDERLY_IDLE_TIMEOUT_SECONDS=str(IDLE_SECONDS),
               KIOSKD_SESSION_IDLE_WARNING_SECONDS="20", KIOSKD_PLATFORM_STATUS_SYNC_SECONDS="1", **PORTS)
    log = open(os.path.join(state, "demo.log"), "w")
    # systemd's default soft limit, which a flood of connections once took kioskd past.
    demo = subprocess.Popen([os.path.join(ROOT, "scripts/demo.sh")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (DESCRIPTOR_LIMIT, DESCRIPTOR_LIMIT)))
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
        driver.get(BASE + "/?key=" + screen_key(state))
        kiosk = Kiosk(driver, state, shots)
        # The key went into an HttpOnly cookie and out of the address bar.
        wait("the screen's key out of the address bar", lambda: driver.current_url == BASE + "/")
        if driver.execute_script("return document.cookie"):
            fail("the page's script can read a cookie: %r" % driver.execute_script("return document.cookie"))
        started = time.time()
        # The counters move as a visit happens: read /metrics around the first one.
        before = metrics()
        flood = Flood(state)
        first = visit(kiosk, elderly=False, first=True)
        wait("the visit's application forwarded", lambda: metrics()[("kioskd_applications_forwarded_total", ())] > before[("kioskd_applications_forwarded_total", ())], 30)
        flooded = flood.stop()
        if demo.poll() is not None:
            fail("kioskd's demo ended during the flood (status %s): see %s/demo.log" % (demo.returncode, state))
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
        pictured = by_pictures(kiosk)
        returned = road_back(kiosk)
        elderly_offer(kiosk)
        age_rule(kiosk)
        incomplete_notice(kiosk)
        every_card(kiosk)
        proxy_visit(kiosk)
        consultation(kiosk)
        written = form_typing(kiosk)
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
        print("ui: under a flood of %(opened)d connections (%(closed_by_kioskd)d closed by kioskd, which held %(kioskd_descriptors)d descriptors of its 1,024), " % flooded
              + "visit %s (a page discarded and scanned again, a reprint, a rating with reasons and a comment), elderly visit %s, a visit chosen by pictures alone %s, "
              "a visit while the link was down %s (申请回执, then 受理 and a 退回 read out in 我的办件), "
              "elderly mode offered to a 68-year-old, the age rule, a 一次性告知单, "
              "every card type (one posted to a corrected address), proxy and business visits with the A4 form, a 12345 complaint, "
              "a name from the surnames and the writing box (the box read %d/%d first, %d/%d in the first five), pinyin, a choice, English, idle wipe, "
              "the card reminder after each visit, both visits again at 800×1280 and 1280×800; %d screens measured (targets, contrast, elderly text), %d prompts heard "
              "(%.1f–%.1f s of speech, Mandarin and English) in %.0f s" % (first, second, pictured, returned, written[0], written[2], written[1], written[2], len(kiosk.checked), len(kiosk.heard), min(kiosk.heard), max(kiosk.heard), time.time() - started))
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
