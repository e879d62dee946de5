// The touchscreen page's loop: it renders whatever screen kioskd pushes on /ws
// and sends touches back. It keeps nothing of its own: a reload shows the
// current screen, and the end of a session replaces everything (docs/local-api.md).
// Each screen is drawn by the module of its journey (ui/screens/), with the
// widgets in ui/widgets/; the words are in ui/strings/.
import * as residentVisit from "./screens/resident-visit.js";
import * as conditionsCheck from "./screens/conditions-check.js";
import * as materials from "./screens/materials.js";
import * as afterReceipt from "./screens/after-receipt.js";
import * as casesAndConsultation from "./screens/cases-and-consultation.js";
import * as agentJourney from "./screens/agent-journey.js";
import { controls } from "./widgets/controls.js";
import { keyboards } from "./widgets/keyboard.js";
import { framed } from "./widgets/frame.js";
import { showFooter, wireFooter } from "./widgets/footer.js";
/** @typedef {import("./types.js").View} View @typedef {import("./types.js").Touch} Touch */

/** @type {Record<string, (view: View, ctx: import("./types.js").Context) => import("./types.js").Parts[]>} */
const renderers = {};
for (const journey of [residentVisit, conditionsCheck, materials, afterReceipt, casesAndConsultation, agentJourney]) {
  for (const screen of journey.screens) renderers[screen] = journey.render;
}

const main = /** @type {HTMLElement} */ (document.getElementById("screen"));
const voice = /** @type {HTMLAudioElement} */ (document.getElementById("voice"));
const volume = /** @type {HTMLInputElement} */ (document.getElementById("volume"));
const DEFAULT_VOLUME = 80;
/** @type {WebSocket|undefined} */
let socket;
/**
 * The string catalogues (ui/strings/zh.json, en.json).
 * @type {Record<string, Record<string, string>>}
 */
const catalogues = {};
/** @type {import("./widgets/keyboard.js").KeyboardData} */
const keyboardData = { pinyin: {}, surnames: [], writingPad: false };
/** @type {import("./widgets/keyboard.js").KeyboardMemory} */
const keyboardMemory = { chineseMode: null, keyboardFor: null };
/** @type {Record<string, number>} where each of elderly mode's short lists is */
let shownFrom = {};
/** @type {View|null} */
let shown = null;
let spoken = "";

/** @param {Touch} touch */
function send(touch) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(touch));
}
Object.assign(window, { kioskdTouch: send });  // the touch-to-paint benchmark sends through it

/**
 * The strings of `language` (Chinese where it has none), each with its {names} filled in.
 * @param {string} language
 */
function translator(language) {
  /** @param {string} key @param {Record<string, unknown>} [values] */
  return (key, values) => ((catalogues[language] || {})[key] ?? (catalogues.zh || {})[key] ?? key)
    .replace(/\{(\w+)\}/g, (/** @type {string} */ _, /** @type {string} */ name) => (values && values[name] !== undefined ? String(values[name]) : ""));
}

// Speech: kioskd renders each screen's prompt (espeak-ng); the page plays each new sentence.
/** @param {View} view */
function say(view) {
  const key = view.screen + "\u0000" + (view.prompt || "") + "\u0000" + view.speech;
  if (!view.prompt || key === spoken) return;
  spoken = key;
  voice.src = "/api/speech?at=" + Date.now();
  voice.play().catch(() => {});
}
function replay() { voice.currentTime = 0; voice.play().catch(() => {}); send({ type: "still_here" }); }

/** @param {View} view */
function render(view) {
  if (view.error) return;
  // A new screen (or another list on the same one) starts its lists at the top.
  /** @param {View|null} v */
  const place = v => v && [v.screen, v.heading, !!v.categories, v.query].join("\u0000");
  if (place(view) !== place(shown)) shownFrom = {};
  shown = view;
  const language = view.language === "en" ? "en" : "zh", elderly = !!view.elderly_mode, t = translator(language);
  document.documentElement.lang = language === "en" ? "en" : "zh-CN";
  showFooter(view, t);
  if (view.screen === "attract") {
    keyboardMemory.chineseMode = null;  // the next resident chooses afresh
    // A new resident starts at the usual volume, whatever the last one chose.
    if (!elderly) { volume.value = String(DEFAULT_VOLUME); voice.volume = DEFAULT_VOLUME / 100; }
  }
  say(view);
  document.body.classList.toggle("elderly", elderly);
  const parts = controls({ t, send, elderly, shownFrom, redraw: () => shown && render(shown) });
  const keys = keyboards({ el: parts.el, t, send, elderly, main, data: keyboardData, memory: keyboardMemory });
  const ctx = { ...parts, ...keys, t, send, elderly, language: /** @type {"zh"|"en"} */ (language) };
  const draw = renderers[view.screen] || (() => [parts.el("h1", {}, view.prompt || ""), parts.end()]);
  // What is being typed survives a redraw of the same screen (PINs excepted).
  const typing = main.dataset.screen === view.screen ? [...main.querySelectorAll("input, textarea")]
    .map(box => /** @type {HTMLInputElement} */ (box)).filter(box => box.id && box.type !== "password" && box.type !== "range").map(box => [box.id, box.value]) : [];
  const drawn = /** @type {HTMLElement[]} */ (draw(view, ctx).flat().filter(Boolean));
  main.replaceChildren(...framed(view, drawn, ctx, replay));
  for (const [id, value] of typing) {
    const box = /** @type {HTMLInputElement|null} */ (document.getElementById(id));
    if (box && !box.value) box.value = value;
  }
  if (main.dataset.screen !== view.screen) keyboardMemory.keyboardFor = null;
  main.dataset.screen = view.screen;
  keys.openAfterDraw();
  // After the frame that shows it: the touch-to-paint benchmark listens for this.
  requestAnimationFrame(() => requestAnimationFrame(() => window.dispatchEvent(new Event("kioskd-painted"))));
}

function connect() {
  socket = new WebSocket(`ws://${location.host}/ws`);
  socket.onmessage = event => render(JSON.parse(event.data));
  socket.onclose = () => setTimeout(connect, 1000);
}

wireFooter(send, voice, replay);
document.addEventListener("contextmenu", event => event.preventDefault());
Promise.all([...["zh", "en"].map(code => fetch(`/strings/${code}.json`).then(r => r.json()).then(strings => { catalogues[code] = strings; })),
  fetch("/pinyin.json").then(r => r.json()).then(table => { keyboardData.pinyin = table; }),
  fetch("/surnames.json").then(r => r.json()).then(list => { keyboardData.surnames = [...list.surnames]; }),
  fetch("/api/handwriting").then(r => { keyboardData.writingPad = r.ok; }),
  fetch("/pictograms.svg").then(r => r.text()).then(sprite => { /** @type {HTMLElement} */ (document.getElementById("pictograms")).innerHTML = sprite; })])
  .catch(() => {})
  .finally(connect);
