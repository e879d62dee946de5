// The touchscreen page: it renders whatever screen kioskd pushes on /ws and
// sends touches back. It keeps nothing of its own: a reload shows the current
// screen, and the end of a session replaces everything (docs/local-api.md).
"use strict";
const main = document.getElementById("screen");
let socket;

// Strings come from catalogues (ui/strings/zh.json, en.json), not from code;
// Simplified Chinese unless the resident chose English on the attract screen.
const catalogues = {};
let language = "zh";
function t(key, values) {
  const text = (catalogues[language] || {})[key] ?? (catalogues.zh || {})[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (values && values[name] !== undefined ? values[name] : ""));
}

window.kioskdTouch = touch;
function touch(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (key === "touch") { if (value) node.addEventListener("click", () => touch(value)); }
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}

// Pictograms: the symbols of /pictograms.svg, put into the page once at start
// and drawn in the colour of the text beside them. The picture is decoration
// for a reader (the text names the button); `data-pictogram` names it for tests.
const SVG = "http://www.w3.org/2000/svg";
function picture(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "pictogram");
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS(SVG, "use");
  use.setAttribute("href", "#pictogram-" + name);
  svg.append(use);
  return svg;
}
function button(text, message, kind, pictogram) {
  const node = el("button", { touch: message, class: kind || "" }, pictogram ? [picture(pictogram), el("span", {}, text)] : text);
  if (pictogram) node.dataset.pictogram = pictogram;
  return node;
}
// A large square choice in a grid of them: the picture above, the name under it.
const tile = (text, message, pictogram) => button(text, message, "tile", pictogram);
const tiles = (...nodes) => el("div", { class: "tiles" }, nodes);
// The way on and back, at the foot of every screen of a visit: back and exit on the left, the next step on the right.
const actions = (...nodes) => el("div", { class: "actions" }, nodes);
const back = () => button(t("back"), { type: "back" }, "quiet", "back");
const next = (text, message) => button(text || t("next"), message || { type: "next" }, "primary", "next");
// A choice among several (delivery, a condition's answer, a rating reason): the chosen one is ticked, not only coloured.
function option(text, message, chosen, role, pictogram) {
  const node = button((chosen ? "✓ " : "") + text, message, chosen ? "chosen" : "", pictogram);
  node.setAttribute("role", role || "radio");
  node.setAttribute("aria-checked", String(!!chosen));
  return node;
}
const KINDS = ["consultation", "complaint", "suggestion", "help"];
const LEVELS = [[1, "very_satisfied"], [2, "satisfied"], [3, "basically_satisfied"], [4, "dissatisfied"], [5, "very_dissatisfied"]];
const end = () => button(t("end"), { type: "end" }, "quiet", "exit");
const RATING_FACES = { 1: "face_very_satisfied", 2: "face_satisfied", 3: "face_neutral", 4: "face_dissatisfied", 5: "face_very_dissatisfied" };
const DELIVERY_PICTURES = { station_pickup: "station", post: "post", electronic: "electronic" };
const entryTile = e => tile((e.bundle ? t("bundle_mark") : "") + e.name, { type: "choose", code: e.code }, e.pictogram);

// Elderly mode asks one thing at a time: at most four choices on a screen.
// A longer list shows a few at a time and 更多 for the rest, in turn.
const ELDERLY_CHOICES = 4;
let elderly = false, lastModel = null, shownFrom = {};
function few(group, nodes, room = ELDERLY_CHOICES) {
  if (!elderly || nodes.length <= room) return nodes;
  const per = room - 1, from = (shownFrom[group] || 0) % nodes.length;
  const more = button(t("more"), null, nodes[0].classList.contains("tile") ? "tile" : "", "more");
  more.addEventListener("click", () => { shownFrom[group] = from + per >= nodes.length ? 0 : from + per; touch({ type: "still_here" }); render(lastModel); });
  return [...nodes.slice(from, from + per), more];
}

// On-screen keyboards: a kiosk has no keyboard. Keys edit the field here and
// keep the visit alive; 确定 hands the value to `done`, which sends it to
// kioskd. One keyboard shows at a time, under the field last tapped.
//   digits  0–9 and the field's extra key (a phone's "-", an ID number's X)
//   code    digits and the capitals a unified social credit code uses
//   chinese four ways to put characters in, switched on its top row:
//           拼音  letters spell a syllable, and its characters (most used
//                 first, ui/pinyin.json) are tapped into the field
//           手写  a character written with a finger in the box is read by
//                 kioskd (POST /api/handwriting); its candidates are tapped in
//           123   digits and the punctuation of an address
//           姓氏  the 100 commonest surnames (ui/surnames.json), for a name
const DIGIT_KINDS = { phone: "-", bank_account: "", number: "", id_number: "X", date: "-" };
const CODE_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const ADDRESS_MARKS = ["-", "号", "栋", "单元", "室", "，", "。"];
const CANDIDATES_SHOWN = 8, SURNAMES_SHOWN = 20;
let pinyinTable = {}, surnames = [], writingPad = false;
let keyboardFor = null;  // the id of the field whose keyboard is open
// The way of writing Chinese a resident last chose stays for the visit's other fields;
// elderly mode starts on the writing pad, for those who never learned pinyin.
let chineseMode = null;
const usualChineseMode = () => chineseMode || (elderly && writingPad ? "write" : "pinyin");

// The writing box: strokes are caught as the finger moves (in the box's own
// 0–400 units) and, at each lift, all of them so far go to kioskd, which
// answers with the likeliest characters. Only the answer to the latest lift is shown.
const BOX = 400;
function writingBox(field, changed) {
  const canvas = el("canvas", { class: "writing", width: String(BOX), height: String(BOX), "data-field": field, "data-read": "0" });
  const pen = canvas.getContext("2d");
  const box = { canvas, candidates: [], strokes: [] };
  let asked = 0;
  function paint() {
    pen.clearRect(0, 0, BOX, BOX);
    // 田字格: the guide lines a character is written in at school.
    pen.setLineDash([10, 10]); pen.lineWidth = 2; pen.strokeStyle = "#b8c7d9";
    pen.beginPath(); pen.moveTo(BOX / 2, 0); pen.lineTo(BOX / 2, BOX); pen.moveTo(0, BOX / 2); pen.lineTo(BOX, BOX / 2); pen.stroke();
    pen.setLineDash([]); pen.lineWidth = 12; pen.lineCap = pen.lineJoin = "round"; pen.strokeStyle = "#1a1a1a";
    for (const stroke of box.strokes) {
      pen.beginPath(); stroke.forEach(([x, y], i) => (i ? pen.lineTo(x, y) : pen.moveTo(x, y)));
      if (stroke.length === 1) pen.lineTo(stroke[0][0] + 0.1, stroke[0][1]);
      pen.stroke();
    }
  }
  const at = event => {
    const r = canvas.getBoundingClientRect();
    const clamp = v => Math.max(0, Math.min(BOX, Math.round(v)));
    return [clamp((event.clientX - r.left) * BOX / r.width), clamp((event.clientY - r.top) * BOX / r.height)];
  };
  let drawing = null;
  canvas.addEventListener("pointerdown", event => {
    event.preventDefault();
    try { canvas.setPointerCapture(event.pointerId); } catch (_) { /* a pointer the page did not see go down */ }
    drawing = [at(event)]; box.strokes.push(drawing); paint();
  });
  canvas.addEventListener("pointermove", event => {
    if (!drawing) return;
    const [x, y] = at(event), [px, py] = drawing[drawing.length - 1];
    if (Math.abs(x - px) + Math.abs(y - py) >= 3) { drawing.push([x, y]); paint(); }
  });
  const lift = event => {
    if (!drawing) return;
    const last = at(event), [px, py] = drawing[drawing.length - 1];
    if (last[0] !== px || last[1] !== py) drawing.push(last);
    drawing = null; paint(); read();
  };
  canvas.addEventListener("pointerup", lift);
  canvas.addEventListener("pointercancel", lift);
  function read() {
    const number = ++asked, strokes = box.strokes.length;
    touch({ type: "still_here" });
    fetch("/api/handwriting", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ width: BOX, height: BOX, strokes: box.strokes }) })
      .then(r => r.ok ? r.json() : { candidates: [] })
      .then(answer => {
        if (number !== asked) return;
        box.candidates = answer.candidates || [];
        canvas.dataset.read = String(strokes);
        changed();
      }).catch(() => {});
  }
  box.clear = () => { asked++; box.strokes = []; box.candidates = []; canvas.dataset.read = "0"; paint(); };
  paint();
  return box;
}

function keyboard(input, layout, done, extra) {
  const pad = el("div", { class: "keyboard", "data-field": input.id });
  const chinese = layout === "pinyin" || layout === "name";
  let spelling = "", page = 0;
  let mode = !chinese ? layout : layout === "name" && !input.value && surnames.length ? "surnames"
    : usualChineseMode();
  const writing = writingBox(input.id, () => draw());
  const key = (label, action, kind) => {
    const node = el("button", { class: "key " + (kind || ""), "data-field": input.id, "data-key": label }, label);
    node.addEventListener("click", () => { action(); touch({ type: "still_here" }); draw(); });
    return node;
  };
  const put = text => () => { input.value += text; };
  const erase = () => {
    if (spelling) { spelling = spelling.slice(0, -1); page = 0; } else input.value = [...input.value].slice(0, -1).join("");
  };
  // The syllable's own characters first, then those of longer syllables it begins (zh → zhang, zhong …).
  const candidates = () => spelling ? [...new Set([...(pinyinTable[spelling] || ""),
    ...Object.keys(pinyinTable).filter(s => s !== spelling && s.startsWith(spelling)).map(s => pinyinTable[s]).join("")])] : [];
  const grid = (keys, kind) => el("div", { class: "keys" + (kind ? " " + kind : "") }, keys);
  const switchTo = to => () => { mode = to; spelling = ""; page = 0; writing.clear(); if (to !== "surnames" && to !== "digits") chineseMode = to; };
  const modeKey = (label, to) => key(label, switchTo(to), mode === to ? "mode chosen" : "mode");
  const paging = (count, per) => [page > 0 ? key("‹", () => page--) : null, (page + 1) * per < count ? key("›", () => page++) : null];
  function draw() {
    const rows = [];
    if (chinese) {
      rows.push(grid([modeKey(t("pinyin"), "pinyin"), writingPad ? modeKey(t("handwriting"), "write") : null, modeKey("123", "digits"),
        layout === "name" && surnames.length ? modeKey(t("surnames"), "surnames") : null], "modes"));
    }
    if (mode === "write") {
      rows.push(el("p", { class: "spelling" }, t("handwriting_hint")));
      rows.push(grid(writing.candidates.map(c => key(c, () => { input.value += c; writing.clear(); }, "candidate"))));
      rows.push(writing.canvas);
    } else if (mode === "surnames") {
      rows.push(el("p", { class: "spelling" }, t("surnames_hint")));
      rows.push(grid([...surnames.slice(page * SURNAMES_SHOWN, (page + 1) * SURNAMES_SHOWN).map(c =>
        key(c, () => { input.value += c; mode = usualChineseMode(); page = 0; }, "candidate")),
        ...paging(surnames.length, SURNAMES_SHOWN)]));
    } else if (mode === "pinyin") {
      const all = candidates(), shown = all.slice(page * CANDIDATES_SHOWN, (page + 1) * CANDIDATES_SHOWN);
      rows.push(el("p", { class: "spelling" }, spelling || t("pinyin_hint")));
      if (spelling) rows.push(grid([...shown.map(c => key(c, () => { input.value += c; spelling = ""; page = 0; }, "candidate")),
        ...paging(all.length, CANDIDATES_SHOWN)]));
      rows.push(grid([..."qwertyuiopasdfghjklzxcvbnm"].map(letter => key(letter, () => { spelling += letter; page = 0; }))));
    } else if (mode === "code") {
      rows.push(grid([...CODE_CHARACTERS].map(c => key(c, put(c)))));
    } else {
      rows.push(grid([..."1234567890", ...(extra ? [extra] : []), ...(chinese ? ADDRESS_MARKS : [])].map(c => key(c, put(c)))));
    }
    const enter = el("button", { class: "key primary", "data-field": input.id, "data-key": "enter" }, t("confirm"));
    enter.addEventListener("click", () => { keyboardFor = null; done(input.value); });
    rows.push(grid([mode === "write" ? key(t("rewrite"), () => writing.clear(), "quiet") : null, key("⌫", erase, "quiet"), enter], "last"));
    pad.replaceChildren(...rows);
  }
  draw();
  return pad;
}

// A field typed on an on-screen keyboard: tapping it opens its keyboard under it.
function typed(input, layout, done, extra) {
  input.setAttribute("inputmode", "none");  // no system keyboard over ours
  const holder = el("div", { class: "keyboard-holder" });
  const open = () => {
    keyboardFor = input.id;
    document.querySelectorAll(".keyboard-holder").forEach(other => other.replaceChildren());
    holder.replaceChildren(keyboard(input, layout, done, extra));
  };
  input.addEventListener("click", open);
  holder.open = open;
  return [input, holder];
}

// After a screen is drawn: the keyboard that was open stays open; else the first empty field's opens.
function openKeyboard() {
  const holders = [...main.querySelectorAll(".keyboard-holder")];
  const again = holders.find(h => h.previousSibling && h.previousSibling.id === keyboardFor);
  const first = holders.find(h => h.previousSibling && !h.previousSibling.value);
  (again || first || { open() {} }).open();
}

// Search by pinyin initials: an on-screen keypad, each key a touch; kioskd
// answers with the matching items (养老保险 → YLBX).
function keypad(m) {
  const query = (m.query || "").trim();
  const keys = "ABCDEFGHJKLMNOPQRSTWXYZ".split("").map(letter => el("button", { touch: { type: "menu", menu: "search", value: query + letter }, class: "key" }, letter));
  return [
    el("h1", {}, t("search_title")),
    el("p", { class: "prompt", id: "query" }, query || t("search_hint")),
    el("div", { class: "keypad" }, keys,
      el("button", { touch: { type: "menu", menu: "search", value: query.slice(0, -1) || " " }, class: "key quiet" }, "⌫")),
    tiles(...few("results", (m.menu || []).map(entryTile))),
    actions(back()),
  ];
}

const screens = {
  attract: m => m.out_of_service ? [
    el("h1", {}, t("out_of_service_title")),
    el("p", { class: "message", role: "alert", id: "out-of-service" }, m.out_of_service),
  ] : [
    el("h1", {}, t("attract_title")),
    el("div", { class: "card-slot", "aria-hidden": "true" }, el("span")),
    el("p", {}, t("attract_hint")),
    el("div", { class: "row" }, button(t("elderly_mode"), { type: "elderly_mode", on: true }, "", "glasses"),
      button(t("other_language"), { type: "language", value: language === "zh" ? "en" : "zh" }, "", "language")),
  ],
  home: m => [
    el("h1", {}, t("greeting", { name: m.resident || "" })),
    tiles(...few("home", [
      tile(t("popular"), { type: "menu", menu: "popular" }, "star"),
      tile(t("by_life_event"), { type: "menu", menu: "life_events" }, "life_events"),
      tile(t("my_cases"), { type: "my_cases" }, "folder"),
      tile(t("by_department"), { type: "menu", menu: "departments" }, "government_building"),
      tile(t("search"), { type: "menu", menu: "search", value: " " }, "search"),
      tile(t("hotline_12345"), { type: "start_consultation", kind: "consultation" }, "hotline")], m.elderly_offered ? 3 : 4)),
    // Elderly mode came on by itself (the card says 60 or older): one tap turns it off.
    m.elderly_offered ? button(t("decline_elderly"), { type: "elderly_mode", on: false }, "quiet", "glasses") : null,
    actions(end()),
  ],
  search: m => keypad(m),
  browse: m => m.query !== undefined ? keypad(m)
    // The life events or departments that have services; each opens its list.
    : m.categories ? [el("h1", {}, t(m.categories.some(c => c.kind === "department") ? "choose_department" : "choose_life_event")),
      tiles(...few("categories", m.categories.map(c => tile(c.name, { type: "menu", menu: c.kind, value: c.id }, c.pictogram)))), actions(back(), end())]
    : [el("h1", { "data-subject": "" }, m.heading || t("choose_item")), tiles(...few("menu", (m.menu || []).map(entryTile))), actions(back(), end())],
  guide: m => {
    const g = m.service;
    const required = g.materials.filter(x => x.required), optional = g.materials.filter(x => !x.required);
    const material = x => el("li", {}, el("strong", {}, x.name), " · " + x.particulars);
    return [
      el("h1", {}, picture(g.pictogram), el("span", {}, g.name)),
      el("h2", {}, t("conditions")), el("ul", { class: "plain", id: "guide-conditions" }, g.conditions.map(c => el("li", { class: "condition-" + c.standing }, c.text))),
      el("h2", {}, t("materials_needed")), el("ul", { class: "plain", id: "guide-materials" }, required.length ? required.map(material) : el("li", {}, t("no_materials"))),
      optional.length ? [el("h2", {}, t("materials_optional")), el("ul", { class: "plain" }, optional.map(material))] : null,
      el("h2", {}, t("time_limits")),
      el("p", { id: "guide-limits" }, (g.immediate ? t("immediate_item") : t("promise_days", { days: g.promised_working_days })) + " · " + t("statutory_days", { days: g.statutory_working_days })),
      el("p", {}, t("fee_line", { fee: g.fee }) + " · " + t("delivery_line", { delivery: g.delivery.map(d => t("delivery_" + d)).join("、") })),
      el("p", {}, t("ask_line", { phone: g.consultation_phone, complaint: g.complaint_phone })),
      g.legal_basis.length ? el("p", { class: "small" }, t("legal_basis", { basis: g.legal_basis.join("；") })) : null,
      button(t("print_guide"), { type: "print_guide" }, "", "printer"),
      actions(back(), end(), next()),
    ];
  },
  conditions: m => {
    // Elderly mode: one question on the screen, the first still open; the others are only read.
    const asking = elderly ? m.service.conditions.findIndex(c => c.standing === "ask") : -1;
    return [
    el("h1", {}, t("conditions_title")),
    ...m.service.conditions.map((c, index) => el("div", { class: "condition", "data-condition": String(index) },
      el("p", {}, c.text),
      c.standing === "checked" ? el("p", { class: "checked" }, t("checked_by_card"))
        : elderly && index !== asking ? (c.standing === "confirmed" ? el("p", { class: "checked" }, t("condition_yes")) : null)
        : el("div", { class: "row", role: "radiogroup" },
          option(t("condition_yes"), { type: "confirm_condition", index, met: true }, c.standing === "confirmed", "radio", "yes"),
          option(t("condition_no"), { type: "confirm_condition", index, met: false }, c.standing === "denied", "radio", "no")))),
    actions(back(), end(), next()),
  ];
  },
  ineligible: m => [
    el("h1", {}, t("ineligible_title")),
    el("p", { class: "message", role: "alert", id: "ineligible-reason" }, m.ineligible.reason),
    m.ineligible.instead ? button(t("apply_instead", { name: m.ineligible.instead.name }), { type: "choose", code: m.ineligible.instead.code }, "primary", m.ineligible.instead.pictogram) : null,
    button(t("print_guide"), { type: "print_guide" }, "", "printer"),
    button(t("hotline_12345"), { type: "start_consultation", kind: "consultation" }, "", "hotline"),
    actions(back(), end()),
  ],
  form: m => {
    // Elderly mode: one field to fill at a time (the first empty or wrong one); the card's and those filled are only shown.
    const open = f => !f.locked && (!f.value || f.problem);
    const current = elderly ? (m.form.find(f => open(f) && f.required) || m.form.find(open) || {}).id : undefined;
    return [
    el("h1", {}, t("form_title")),
    ...m.form.map(f => {
      const label = el("label", { for: f.id }, f.label + (f.required ? t("required") : ""));
      const problem = f.problem ? el("p", { class: "problem" }, f.problem) : null;
      if (elderly && !f.locked && f.id !== current) return f.value ? [label, el("p", { id: f.id }, f.value)] : null;
      // A choice is tapped, never typed; the chosen one is ticked, not only coloured.
      if (f.kind === "choice" && !f.locked) {
        return [label, el("div", { class: "options", role: "radiogroup", id: f.id }, few(f.id, f.options.map(choice => option(choice, { type: "set_field", id: f.id, value: choice }, choice === f.value)))), problem];
      }
      const input = el("input", { id: f.id, value: f.value });
      if (f.locked) return [label, (input.setAttribute("readonly", ""), input), problem];
      const send = value => touch({ type: "set_field", id: f.id, value });
      input.addEventListener("change", () => send(input.value));
      return [label, ...typed(input, f.kind in DIGIT_KINDS ? "digits" : f.kind === "name" ? "name" : "pinyin", send, DIGIT_KINDS[f.kind]), problem];
    }),
    actions(back(), end(), next()),
  ];
  },
  materials: m => {
    // Elderly mode: one material at a time, the first still needed; once all are there, only their pages to look at.
    const current = elderly ? (m.materials.find(x => x.status === "needed") || {}).id : undefined;
    const acts = x => !elderly || x.id === current;
    return [
    el("h1", {}, t("materials_title")),
    m.online && (!elderly || current) ? button(t("ecert_consent"), { type: "consent_ecertificates" }, "", "e_certificate") : null,
    ...m.materials.map(x => el("div", { class: "material", "data-material": x.id },
      el("p", { class: x.status === "needed" ? "status-needed" : "status-done" }, x.name + (x.pages ? t("scanned_pages", { pages: x.pages }) : "")),
      // Each page as a thumbnail; a tap shows it large, to keep, delete or scan again.
      x.thumbnails && (!elderly || !current) ? el("div", { class: "thumbnails" }, x.thumbnails.map((src, i) => el("button", { class: "thumbnail-button", touch: { type: "view_page", material: x.id, index: i },
        "aria-label": t("view_page", { name: x.name, page: i + 1 }) }, el("img", { src, alt: t("page_alt", { name: x.name, page: i + 1 }), class: "thumbnail" })))) : null,
      x.status === "needed" && acts(x) ? el("div", { class: "row" }, button(t("scan"), { type: "scan", material: x.id }, "", "scan"),
        x.platform_may_obtain ? button(t("leave_to_platform"), { type: "leave_to_platform", material: x.id }, "", "cloud") : null)
        : x.status === "scanned" && !elderly ? el("div", { class: "row" }, button(t("scan_more"), { type: "scan", material: x.id }, "", "add_page"),
          button(t("rescan"), { type: "rescan", material: x.id }, "", "rescan")) : null)),
    actions(back(), end(), next(t("check_complete"))),
  ];
  },
  page: m => [
    el("h1", { "data-subject": "" }, t("page_title", { name: m.page.name, page: m.page.index + 1, pages: m.page.pages })),
    el("img", { src: m.page.image, alt: t("page_alt", { name: m.page.name, page: m.page.index + 1 }), class: "page-large", id: "page-large" }),
    el("div", { class: "row" }, button(t("discard_page"), { type: "discard_page", material: m.page.material, index: m.page.index }, "", "delete"),
      button(t("rescan"), { type: "rescan", material: m.page.material }, "", "rescan")),
    button(t("keep_page"), { type: "back" }, "primary", "yes"),
  ],
  scanning: m => [el("h1", {}, t("scanning_title")),
    m.scan_progress ? el("p", { id: "scan-progress" }, t(m.scan_progress.percent >= 0 ? "scan_progress" : "scan_page", m.scan_progress)) : null,
    el("p", {}, t("scanning_hint")), actions(back())],
  incomplete: m => [
    el("h1", {}, t("incomplete_title")), el("ul", { class: "plain" }, m.missing.map(x => el("li", {}, x))),
    el("p", {}, t("incomplete_hint")),
    button(t("print_notice"), { type: "print_notice" }, "primary", "printer"),
    ...few("dates", (m.reservation_dates || []).map(d => button(t("reserve", { date: d }), { type: "reserve", date: d }, "", "calendar")), 3), actions(back(), end()),
  ],
  review: m => {
    const delivery = m.delivery || { options: [] };
    const parts = [el("h1", {}, t("review_title")), el("p", {}, m.service_name),
      el("ul", { class: "plain" }, m.materials.map(x => el("li", {}, t("material_line", { name: x.name, status: t(x.status === "needed" ? "not_provided" : "provided") })))),
      el("h2", {}, t("delivery_question")),
      el("div", { class: "options", role: "radiogroup", id: "delivery" }, delivery.options.map(d => option(t("delivery_" + d), { type: "delivery", value: d }, d === delivery.chosen, "radio", DELIVERY_PICTURES[d])))];
    if (delivery.chosen === "post") {
      // Prefilled from the card's address; the resident corrects it on the keyboard.
      const address = el("input", { id: "postal-address", value: delivery.postal_address || "" });
      parts.push(el("label", { for: "postal-address" }, t("postal_address")), ...typed(address, "pinyin", value => touch({ type: "postal_address", value })));
    }
    return [...parts, actions(back(), end(), button(t("submit"), { type: "submit" }, "primary", "submit"))];
  },
  submitting: () => [el("h1", {}, t("submitting_title"))],
  receipt: m => [
    el("h1", {}, t("receipt_title")), el("p", {}, t("tracking_number")), el("p", { class: "prompt", id: "tracking-number" }, m.receipt.tracking_number),
    el("p", {}, t("promise_date", { promise: m.receipt.promise })), el("p", {}, t("delivery", { delivery: m.receipt.delivery })),
    m.receipt.postal_address ? el("p", { id: "receipt-address" }, t("postal_address_line", { address: m.receipt.postal_address })) : null,
    el("img", { id: "receipt-qr", src: "/api/receipt-qr.png?at=" + Date.now(), alt: t("qr_alt"), width: "264", height: "264" }),
    button(t("print_again"), { type: "print_again" }, "", "printer"),
    m.receipt.form_for_signature ? button(t("print_form"), { type: "print_form" }, "", "sign_form") : null,
    actions(next(t("to_rating"))),
  ],
  rating: m => {
    const r = m.rating || { reasons: [], chosen: [] };
    const levels = LEVELS.map(([level, key]) => r.level === level ? option(t(key), { type: "rate", level }, true, "radio", RATING_FACES[level])
      : button(t(key), { type: "rate", level }, "", RATING_FACES[level]));
    const skip = button(t("skip"), { type: "skip_rating" }, "quiet", "skip");
    if (!r.level) return [el("h1", {}, t("rating_title")), el("div", { class: "faces" }, few("faces", levels)), actions(skip)];
    const comment = el("textarea", { id: "rating-comment", rows: "3", maxlength: String(r.comment_limit) });
    // The comment is read from its box when sent, so this one is not a plain touch.
    const send = button(t("submit_rating"), null, "primary", "submit");
    send.addEventListener("click", () => touch({ type: "rate", level: r.level, reasons: r.chosen, comment: comment.value || undefined }));
    const close = () => document.querySelectorAll(".keyboard-holder").forEach(h => h.replaceChildren());
    // Elderly mode: the level chosen stays in view, its reasons a few at a time.
    return [el("h1", {}, t("rating_title")), el("div", { class: "faces" }, elderly ? levels[r.level - 1] : levels),
      el("h2", {}, t("rating_reasons")),
      el("div", { class: "options", id: "rating-reasons" }, few("reasons", r.reasons.map(reason => option(reason, { type: "rating_reason", reason }, r.chosen.includes(reason), "checkbox")), 3)),
      el("label", { for: "rating-comment" }, t("rating_comment")), ...typed(comment, "pinyin", close),
      actions(skip, send)];
  },
  done: () => [el("h1", {}, t("thanks")), actions(end(), button(t("another_matter"), { type: "next" }, "primary", "again"))],
  my_cases: m => [el("h1", {}, t("my_cases")), ...(m.cases || []).map(c => el("p", {}, `${c.service_name} · ${c.status} · ${c.tracking_number}`)), actions(back(), end())],
  paused: () => [el("h1", {}, t("paused_title")), actions(end())],
  reserved: () => [el("h1", {}, t("reserved_title")), el("p", {}, t("reserved_hint")), button(t("print_notice"), { type: "print_notice" }, "primary", "printer"), actions(back(), end())],
  consultation: m => {
    const text = el("textarea", { id: "consultation-text", rows: "4", maxlength: "500" });
    const phone = el("input", { id: "consultation-phone" });
    const send = el("button", { class: "primary" }, t("send"));
    send.addEventListener("click", () => touch({ type: "send_consultation", text: text.value, phone: phone.value || undefined }));
    // 确定 on a keyboard only closes it: the resident sends with 提交.
    const close = () => document.querySelectorAll(".keyboard-holder").forEach(h => h.replaceChildren());
    return [el("h1", {}, t("consult_title")),
      el("div", { class: "options row", role: "radiogroup", id: "consultation-kind" }, KINDS.map(kind => option(t("kind_" + kind), { type: "start_consultation", kind }, kind === m.consultation_kind))),
      el("label", { for: "consultation-text" }, t("consult_text")), ...typed(text, "pinyin", close),
      el("label", { for: "consultation-phone" }, t("consult_phone")), ...typed(phone, "digits", close, "-"), send, back(), end()];
  },
  consultation_sent: m => [el("h1", {}, t("sent_title")), el("p", {}, t("reference", { reference: m.reference })), back(), end()],
  enterprise: () => {
    const code = el("input", { id: "credit-code" });
    const name = el("input", { id: "enterprise-name" });
    const go = el("button", { class: "primary" }, t("confirm"));
    const send = () => touch({ type: "agent_enterprise", code: code.value, name: name.value });
    go.addEventListener("click", send);
    // The code's 确定 moves on to the name; the name's sends both.
    const toName = () => main.querySelectorAll(".keyboard-holder")[1].open();
    return [el("h1", {}, t("enterprise_title")), el("label", { for: "credit-code" }, t("credit_code")), ...typed(code, "code", toName),
      el("label", { for: "enterprise-name" }, t("enterprise_name")), ...typed(name, "pinyin", send), go, end()];
  },
  agent_pin: m => {
    const pin = el("input", { id: "pin", type: "password", autocomplete: "off" });
    const login = value => { touch({ type: "agent_pin", pin: value }); pin.value = ""; };
    const go = el("button", { class: "primary" }, t("login"));
    go.addEventListener("click", () => login(pin.value));
    return [el("h1", {}, t("agent_title", { agent: m.agent || "" })), el("label", { for: "pin" }, t("pin")), ...typed(pin, "digits", login), go,
      button(t("cancel"), { type: "end" }, "quiet")];
  },
  agent_console: m => [
    el("h1", {}, t("agent_title", { agent: m.agent || "" })), el("p", {}, t("agent_hint")),
    m.staff_called ? el("p", { class: "message", role: "alert", id: "staff-call" }, t("staff_call_waiting")) : null,
    button(t("agent_enterprise"), { type: "agent_enterprise", code: "", name: "" }),
    button(t("station_cases"), { type: "agent_station_cases" }), button(t("agent_logout"), { type: "agent_logout" }, "quiet"),
  ],
  proxy_consent: m => [
    el("h1", {}, t("consent_title")), el("p", {}, t("consent_question", { resident: m.resident, agent: m.agent })),
    button(t("agree"), { type: "confirm_proxy_consent" }, "primary"), button(t("disagree"), { type: "end" }, "quiet"),
  ],
  station_cases: m => [
    el("h1", {}, t("station_cases")),
    ...(m.cases || []).map(c => el("div", {}, el("p", {}, `${c.service_name} · ${c.applicant} · ${c.status} · ${c.tracking_number}`),
      button(t("reprint"), { type: "agent_reprint", code: c.tracking_number }))),
    back(),
  ],
};

// Speech: kioskd renders each screen's prompt (espeak-ng: Mandarin, or English on an English screen); the page plays it.
const voice = document.getElementById("voice");
const volume = document.getElementById("volume");
const DEFAULT_VOLUME = 80;
let spoken = null;
function say(model) {
  const key = model.screen + "\u0000" + (model.prompt || "") + "\u0000" + model.speech;
  if (!model.prompt || key === spoken) return;
  spoken = key;
  voice.src = "/api/speech?at=" + Date.now();
  voice.play().catch(() => {});
}
// 呼叫工作人员 on every screen; an agent at the kiosk answers with the same button.
document.getElementById("call-staff").addEventListener("click", event =>
  touch({ type: event.currentTarget.dataset.staff === "answer" ? "staff_answered" : "call_staff" }));
function replay() { voice.currentTime = 0; voice.play().catch(() => {}); touch({ type: "still_here" }); }
document.getElementById("repeat").addEventListener("click", replay);
document.getElementById("stop").addEventListener("click", () => { voice.pause(); touch({ type: "still_here" }); });
volume.addEventListener("input", () => { voice.volume = volume.value / 100; });

// The sentence kioskd said is shown once, as the screen's heading (tap it to hear it
// again). Where the speech reads the screen out (a guide, a receipt) the screen's
// own title stays; where the heading names a subject (a life event, a page) the
// sentence goes under it. A refusal is already on screen as the message.
const READ_OUT = new Set(["attract", "guide", "receipt"]);
function spokenOnce(model, parts) {
  const heading = parts.find(part => part.tagName === "H1");
  const said = model.prompt;
  if (!said || READ_OUT.has(model.screen) || [model.message, model.notice, model.ineligible && model.ineligible.reason].includes(said)) return parts;
  const sentence = el("button", { class: "spoken", id: "prompt", "aria-label": t("repeat") + "：" + said }, picture("speaker"), el("span", {}, said));
  sentence.addEventListener("click", replay);
  if (!heading) return [el("h1", {}, sentence), ...parts];
  const at = parts.indexOf(heading);
  if (heading.hasAttribute("data-subject")) return [...parts.slice(0, at + 1), el("p", { class: "prompt" }, sentence), ...parts.slice(at + 1)];
  heading.replaceChildren(sentence);
  return parts;
}

// Where the resident is in a visit: 第2步，共5步 on every screen from choosing a matter to the receipt.
const STEPS = [["home", "browse", "search"], ["guide", "conditions", "ineligible"], ["form"],
  ["materials", "scanning", "page", "incomplete", "reserved"], ["review", "submitting", "receipt"]];
const STEP_NAMES = ["step_choose", "step_read", "step_fill", "step_provide", "step_submit"];
function stepIndicator(screen) {
  const index = STEPS.findIndex(step => step.includes(screen));
  if (index < 0) return null;
  return el("div", { class: "steps", id: "step", "data-step": String(index + 1) },
    el("ol", { "aria-hidden": "true" }, STEP_NAMES.map((name, i) => el("li", { class: i < index ? "done" : i === index ? "current" : "" }, t(name)))),
    el("p", {}, t("step_of", { n: index + 1, count: STEPS.length, name: t(STEP_NAMES[index]) })));
}

function render(model) {
  if (model.error) return;
  // A new screen (or another list on the same one) starts its lists at the top.
  const place = m => m && [m.screen, m.heading, !!m.categories, m.query].join("\u0000");
  if (place(model) !== place(lastModel)) shownFrom = {};
  lastModel = model;
  elderly = !!model.elderly_mode;
  language = model.language === "en" ? "en" : "zh";
  document.documentElement.lang = language === "en" ? "en" : "zh-CN";
  document.getElementById("station").textContent = t("station");
  document.getElementById("idle-text").textContent = t("idle_question");
  document.querySelector("#idle button span").textContent = t("still_here");
  document.querySelector("#repeat span").textContent = t("repeat");
  const call = document.getElementById("call-staff");
  call.dataset.staff = model.staff_called ? (model.agent ? "answer" : "called") : "idle";
  call.querySelector("span").textContent = t({ idle: "call_staff", called: "staff_called", answer: "staff_answer" }[call.dataset.staff]);
  document.querySelector("#stop span").textContent = t("stop");
  document.querySelector("label[for=volume]").textContent = t("volume");
  if (model.screen === "attract") chineseMode = null;  // the next resident chooses afresh
  if (model.screen === "attract" && !model.elderly_mode) {
    // A new resident starts at the usual volume, whatever the last one chose.
    volume.value = DEFAULT_VOLUME;
    voice.volume = DEFAULT_VOLUME / 100;
  }
  say(model);
  document.body.classList.toggle("elderly", elderly);
  document.getElementById("link").textContent = model.online ? t("online") : t("offline");
  document.getElementById("idle").hidden = !model.idle_warning;
  document.getElementById("idle-countdown").textContent =
    model.idle_seconds_left === undefined ? "" : t("idle_countdown", { s: model.idle_seconds_left });
  const draw = screens[model.screen] || (() => [el("h1", {}, model.prompt || ""), end()]);
  // What is being typed survives a redraw of the same screen (PINs excepted).
  const typing = main.dataset.screen === model.screen
    ? [...main.querySelectorAll("input, textarea")].filter(e => e.id && e.type !== "password" && e.type !== "range").map(e => [e.id, e.value]) : [];
  const parts = draw(model).flat().filter(Boolean);
  main.replaceChildren(...[
    stepIndicator(model.screen),
    model.message ? el("p", { class: "message", role: "alert" }, model.message) : null,
    model.notice ? el("p", { class: "message", role: "alert" }, model.notice) : null,
    ...spokenOnce(model, parts),
  ].filter(Boolean));
  for (const [id, value] of typing) {
    const box = document.getElementById(id);
    if (box && !box.value) box.value = value;
  }
  if (main.dataset.screen !== model.screen) keyboardFor = null;
  main.dataset.screen = model.screen;
  openKeyboard();
  // After the frame that shows it: the touch-to-paint benchmark listens for this.
  requestAnimationFrame(() => requestAnimationFrame(() => window.dispatchEvent(new Event("kioskd-painted"))));
}

function connect() {
  socket = new WebSocket(`ws://${location.host}/ws`);
  socket.onmessage = event => render(JSON.parse(event.data));
  socket.onclose = () => setTimeout(connect, 1000);
}
document.getElementById("idle").querySelector("button").addEventListener("click", () => touch({ type: "still_here" }));
document.addEventListener("contextmenu", event => event.preventDefault());
Promise.all([...["zh", "en"].map(code => fetch(`/strings/${code}.json`).then(r => r.json()).then(strings => { catalogues[code] = strings; })),
  fetch("/pinyin.json").then(r => r.json()).then(table => { pinyinTable = table; }),
  fetch("/surnames.json").then(r => r.json()).then(list => { surnames = [...list.surnames]; }),
  fetch("/api/handwriting").then(r => { writingPad = r.ok; }),
  fetch("/pictograms.svg").then(r => r.text()).then(sprite => { document.getElementById("pictograms").innerHTML = sprite; })])
  .catch(() => {})
  .finally(connect);
