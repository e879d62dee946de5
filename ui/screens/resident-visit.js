// The screens of a resident's visit (KioskCore's ResidentVisit.swift and
// ResidentVisitScreens.swift): the attract screen, the menu, the guide, the
// form, the completeness check, review and submitting, a visit paused for its card.
/** @typedef {import("../types.js").Context} Context @typedef {import("../types.js").View} View */

const DIGIT_KINDS = { phone: "-", bank_account: "", number: "", id_number: "X", date: "-" };
const DELIVERY_PICTURES = { station_pickup: "station", post: "post", electronic: "electronic" };

/** @param {import("../types.js").AttractView} view @param {Context} ctx */
function attract(view, { el, t, button, language }) {
  if (view.out_of_service) {
    return [el("h1", {}, t("out_of_service_title")), el("p", { class: "message", role: "alert", id: "out-of-service" }, view.out_of_service)];
  }
  return [
    el("h1", {}, t("attract_title")),
    el("div", { class: "card-slot", "aria-hidden": "true" }, el("span")),
    el("p", {}, t("attract_hint")),
    el("div", { class: "row" }, button(t("elderly_mode"), { type: "elderly_mode", on: true }, "", "glasses"),
      button(t("other_language"), { type: "language", value: language === "zh" ? "en" : "zh" }, "", "language")),
  ];
}

/** @param {View} view @param {Context} ctx */
function home(view, { el, t, tile, tiles, few, button, actions, end }) {
  return [
    el("h1", {}, t("greeting", { name: view.resident || "" })),
    tiles(...few("home", [
      tile(t("popular"), { type: "menu", menu: "popular" }, "star"),
      tile(t("by_life_event"), { type: "menu", menu: "life_events" }, "life_events"),
      tile(t("my_cases"), { type: "my_cases" }, "folder"),
      tile(t("by_department"), { type: "menu", menu: "departments" }, "government_building"),
      tile(t("search"), { type: "menu", menu: "search", value: " " }, "search"),
      tile(t("hotline_12345"), { type: "start_consultation", kind: "consultation" }, "hotline")], view.elderly_offered ? 3 : 4)),
    // Elderly mode came on by itself (the card says 60 or older): one tap turns it off.
    view.elderly_offered ? button(t("decline_elderly"), { type: "elderly_mode", on: false }, "quiet", "glasses") : null,
    actions(end()),
  ];
}

// Search by pinyin initials: an on-screen keypad, each key a touch; kioskd
// answers with the matching items (养老保险 → YLBX).
/** @param {import("../types.js").BrowseView} view @param {Context} ctx */
function keypad(view, { el, t, tiles, few, entryTile, actions, back }) {
  const query = (view.query || "").trim();
  const keys = "ABCDEFGHJKLMNOPQRSTWXYZ".split("").map(letter => el("button", { touch: { type: "menu", menu: "search", value: query + letter }, class: "key" }, letter));
  return [
    el("h1", {}, t("search_title")),
    el("p", { class: "prompt", id: "query" }, query || t("search_hint")),
    el("div", { class: "keypad" }, keys, el("button", { touch: { type: "menu", menu: "search", value: query.slice(0, -1) || " " }, class: "key quiet" }, "⌫")),
    tiles(...few("results", view.menu.map(entryTile))),
    actions(back()),
  ];
}

/** @param {import("../types.js").BrowseView} view @param {Context} ctx */
function browse(view, ctx) {
  const { el, t, tile, tiles, few, entryTile, actions, back, end } = ctx;
  if (view.query !== undefined) return keypad(view, ctx);
  // The life events or departments that have services; each opens its list.
  if (view.categories) {
    return [el("h1", {}, t(view.categories.some(c => c.kind === "department") ? "choose_department" : "choose_life_event")),
      tiles(...few("categories", view.categories.map(c => tile(c.name, { type: "menu", menu: c.kind, value: c.id }, c.pictogram)))), actions(back(), end())];
  }
  return [el("h1", { "data-subject": "" }, view.heading || t("choose_item")), tiles(...few("menu", view.menu.map(entryTile))), actions(back(), end())];
}

/** @param {import("../types.js").GuideView} view @param {Context} ctx */
function guide(view, { el, t, picture, button, actions, back, end, next }) {
  const g = view.service;
  const required = g.materials.filter(x => x.required), optional = g.materials.filter(x => !x.required);
  /** @param {import("../types.js").GuideMaterial} x */
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
}

/** @param {import("../types.js").FormView} view @param {Context} ctx */
function form(view, { el, t, send, elderly, few, option, typed, actions, back, end, next }) {
  // Elderly mode: one field to fill at a time (the first empty or wrong one); the card's and those filled are only shown.
  /** @param {import("../types.js").FieldLine} f */
  const open = f => !f.locked && (!f.value || f.problem);
  const current = elderly ? (view.form.find(f => open(f) && f.required) || view.form.find(open) || { id: undefined }).id : undefined;
  return [
    el("h1", {}, t("form_title")),
    ...view.form.map(f => {
      const label = el("label", { for: f.id }, f.label + (f.required ? t("required") : ""));
      const problem = f.problem ? el("p", { class: "problem" }, f.problem) : null;
      if (elderly && !f.locked && f.id !== current) return f.value ? [label, el("p", { id: f.id }, f.value)] : null;
      // A choice is tapped, never typed; the chosen one is ticked, not only coloured.
      if (f.kind === "choice" && !f.locked) {
        return [label, el("div", { class: "options", role: "radiogroup", id: f.id },
          few(f.id, (f.options || []).map(choice => option(choice, { type: "set_field", id: f.id, value: choice }, choice === f.value)))), problem];
      }
      const input = /** @type {HTMLInputElement} */ (el("input", { id: f.id, value: f.value }));
      if (f.locked) return [label, (input.setAttribute("readonly", ""), input), problem];
      /** @param {string} value */
      const done = value => send({ type: "set_field", id: f.id, value });
      input.addEventListener("change", () => done(input.value));
      const extra = /** @type {Record<string, string>} */ (DIGIT_KINDS)[f.kind];
      return [label, ...typed(input, extra !== undefined ? "digits" : f.kind === "name" ? "name" : "pinyin", done, extra), problem];
    }),
    actions(back(), end(), next()),
  ];
}

/** @param {import("../types.js").IncompleteView} view @param {Context} ctx */
function incomplete(view, { el, t, button, few, actions, back, end }) {
  return [
    el("h1", {}, t("incomplete_title")), el("ul", { class: "plain" }, view.missing.map(x => el("li", {}, x))),
    el("p", {}, t("incomplete_hint")),
    button(t("print_notice"), { type: "print_notice" }, "primary", "printer"),
    ...few("dates", view.reservation_dates.map(d => button(t("reserve", { date: d }), { type: "reserve", date: d }, "", "calendar")), 3), actions(back(), end()),
  ];
}

/** @param {View} view @param {Context} ctx */
function reserved(view, { el, t, button, actions, back, end }) {
  return [el("h1", {}, t("reserved_title")), el("p", { class: "prompt", id: "reservation" }, t("reserved_on", { date: view.date, reference: view.reference })),
    el("p", {}, t("reserved_hint")), button(t("print_notice"), { type: "print_notice" }, "primary", "printer"), actions(back(), end())];
}

/** @param {import("../types.js").ReviewView} view @param {Context} ctx */
function review(view, { el, t, send, option, typed, button, actions, back, end }) {
  const delivery = view.delivery;
  const parts = [el("h1", {}, t("review_title")), el("p", {}, view.service_name),
    // What was typed, to check before submitting (the card's name and number masked, as on the form).
    el("dl", { class: "answers", id: "review-answers" }, view.answers.flatMap(a => [el("dt", {}, a.label), el("dd", {}, a.value)])),
    el("ul", { class: "plain" }, view.materials.map(x => el("li", {}, t("material_line", { name: x.name, status: t("material_" + x.status) })))),
    el("h2", {}, t("delivery_question")),
    el("div", { class: "options", role: "radiogroup", id: "delivery" }, delivery.options.map(d =>
      option(t("delivery_" + d), { type: "delivery", value: d }, d === delivery.chosen, "radio", /** @type {Record<string, string>} */ (DELIVERY_PICTURES)[d])))];
  if (delivery.chosen === "post") {
    // Prefilled from the card's address; the resident corrects it on the keyboard.
    const address = /** @type {HTMLInputElement} */ (el("input", { id: "postal-address", value: delivery.postal_address || "" }));
    parts.push(el("label", { for: "postal-address" }, t("postal_address")), ...typed(address, "pinyin", value => send({ type: "postal_address", value })));
  }
  return [...parts, actions(back(), end(), button(t("submit"), { type: "submit" }, "primary", "submit"))];
}

/** @param {View} _view @param {Context} ctx */
const submitting = (_view, { el, t }) => [el("h1", {}, t("submitting_title"))];
/** @param {View} _view @param {Context} ctx */
const paused = (_view, { el, t, actions, end }) => [el("h1", {}, t("paused_title")), actions(end())];

/** @type {Record<string, (view: any, ctx: Context) => import("../types.js").Parts[]>} */
const renderers = { attract, home, browse, guide, form, incomplete, reserved, review, submitting, paused };

/** The screens this journey draws. */
export const screens = Object.keys(renderers);

/**
 * Draws `view`, one of `screens`.
 * @param {View} view @param {Context} ctx
 */
export const render = (view, ctx) => renderers[view.screen](view, ctx);
