// The screens after the application is durable (KioskCore's AfterReceipt.swift
// and AfterReceiptScreens.swift): the receipt, the rating, another matter or the end.
/** @typedef {import("../types.js").Context} Context @typedef {import("../types.js").View} View */

const LEVELS = [[1, "very_satisfied"], [2, "satisfied"], [3, "basically_satisfied"], [4, "dissatisfied"], [5, "very_dissatisfied"]];
const RATING_FACES = ["", "face_very_satisfied", "face_satisfied", "face_neutral", "face_dissatisfied", "face_very_dissatisfied"];

/** @param {import("../types.js").ReceiptView} view @param {Context} ctx */
function receipt(view, { el, t, button, actions, next }) {
  const r = view.receipt;
  return [
    // 受理回执 only once the platform has the case (as on paper); before that a 申请回执.
    el("h1", {}, t(r.case_number ? "receipt_title_accepted" : "receipt_title")), el("p", { class: "prompt", id: "receipt-status" }, r.status),
    r.case_number ? el("p", { id: "case-number" }, t("case_number", { number: r.case_number })) : null,
    el("p", {}, t("tracking_number")), el("p", { class: "prompt", id: "tracking-number" }, r.tracking_number),
    el("p", {}, t("promise_date", { promise: r.promise })), el("p", {}, t("delivery", { delivery: r.delivery })),
    r.postal_address ? el("p", { id: "receipt-address" }, t("postal_address_line", { address: r.postal_address })) : null,
    el("img", { id: "receipt-qr", src: "/api/receipt-qr.png?at=" + Date.now(), alt: t("qr_alt"), width: "264", height: "264" }),
    button(t("print_again"), { type: "print_again" }, "", "printer"),
    r.form_for_signature ? button(t("print_form"), { type: "print_form" }, "", "sign_form") : null,
    actions(next(t("to_rating"))),
  ];
}

/** @param {import("../types.js").RatingView} view @param {Context} ctx */
function rating(view, { el, t, send, elderly, button, option, few, typed, closeKeyboards, actions }) {
  const r = view.rating;
  const levels = LEVELS.map(([level, key]) => r.level === level ? option(t(String(key)), { type: "rate", level }, true, "radio", RATING_FACES[Number(level)])
    : button(t(String(key)), { type: "rate", level }, "", RATING_FACES[Number(level)]));
  const skip = button(t("skip"), { type: "skip_rating" }, "quiet", "skip");
  if (!r.level) return [el("h1", {}, t("rating_title")), el("div", { class: "faces" }, few("faces", levels)), actions(skip)];
  const level = r.level;
  const comment = /** @type {HTMLTextAreaElement} */ (el("textarea", { id: "rating-comment", rows: "3", maxlength: String(r.comment_limit) }));
  // The comment is read from its box when sent: the button sends the touch itself.
  const submit = button(t("submit_rating"), null, "primary", "submit");
  submit.addEventListener("click", () => send({ type: "rate", level, reasons: r.chosen, comment: comment.value || undefined }));
  // Elderly mode: the level chosen stays in view, its reasons a few at a time.
  return [el("h1", {}, t("rating_title")), el("div", { class: "faces" }, elderly ? levels[level - 1] : levels),
    el("h2", {}, t("rating_reasons")),
    el("div", { class: "options", id: "rating-reasons" }, few("reasons", r.reasons.map(reason => option(reason, { type: "rating_reason", reason }, r.chosen.includes(reason), "checkbox")), 3)),
    el("label", { for: "rating-comment" }, t("rating_comment")), ...typed(comment, "pinyin", closeKeyboards),
    actions(skip, submit)];
}

/** @param {View} _view @param {Context} ctx */
const done = (_view, { el, t, button, actions, end }) => [el("h1", {}, t("thanks")), button(t("my_cases"), { type: "my_cases" }, "", "folder"),
  actions(end(), button(t("another_matter"), { type: "next" }, "primary", "again"))];

/** @type {Record<string, (view: any, ctx: Context) => import("../types.js").Parts[]>} */
const renderers = { receipt, rating, done };

/** The screens this journey draws. */
export const screens = Object.keys(renderers);

/**
 * Draws `view`, one of `screens`.
 * @param {View} view @param {Context} ctx
 */
export const render = (view, ctx) => renderers[view.screen](view, ctx);
