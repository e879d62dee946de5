// The screens of 我的办件 and the 12345 channel (KioskCore's
// CasesAndConsultation.swift and CasesAndConsultationScreens.swift).
/** @typedef {import("../types.js").Context} Context @typedef {import("../types.js").View} View */

const KINDS = ["consultation", "complaint", "suggestion", "help"];

/** @param {import("../types.js").CasesView} view @param {Context} ctx */
function myCases(view, { el, t, actions, back, end }) {
  // Each case with where it stands and what the platform said of it (a 退回's reason and what to supply,
  // where to collect, the EMS number, a fee): the same words the kiosk reads out.
  const line = (/** @type {import("../types.js").CaseLine} */ c) => el("li", { class: "case" },
    el("p", { class: "case-head" }, el("strong", {}, c.service_name), ` · ${c.status}`),
    c.detail && el("p", { class: "case-detail" }, c.detail),
    el("p", { class: "case-number" }, c.tracking_number));
  return [el("h1", {}, t("my_cases")), el("ul", { class: "cases", id: "my-cases" }, view.cases.map(line)), actions(back(), end())];
}

/** @param {import("../types.js").ConsultationView} view @param {Context} ctx */
function consultation(view, { el, t, send, option, typed, closeKeyboards, button, back, end }) {
  const text = /** @type {HTMLTextAreaElement} */ (el("textarea", { id: "consultation-text", rows: "4", maxlength: "500" }));
  const phone = /** @type {HTMLInputElement} */ (el("input", { id: "consultation-phone" }));
  // Sent with what the boxes hold: the button sends the touch itself.
  const submit = button(t("send"), null, "primary");
  submit.addEventListener("click", () => send({ type: "send_consultation", text: text.value, phone: phone.value || undefined }));
  // 确定 on a keyboard only closes it: the resident sends with 提交.
  return [el("h1", {}, t("consult_title")),
    el("div", { class: "options row", role: "radiogroup", id: "consultation-kind" },
      KINDS.map(kind => option(t("kind_" + kind), { type: "start_consultation", kind }, kind === view.consultation_kind))),
    el("label", { for: "consultation-text" }, t("consult_text")), ...typed(text, "pinyin", closeKeyboards),
    el("label", { for: "consultation-phone" }, t("consult_phone")), ...typed(phone, "digits", closeKeyboards, "-"), submit, back(), end()];
}

/** @param {import("../types.js").ConsultationSentView} view @param {Context} ctx */
function consultationSent(view, { el, t, back, end }) {
  return [el("h1", {}, t("sent_title")), el("p", {}, t("reference", { reference: view.reference })), back(), end()];
}

/** @type {Record<string, (view: any, ctx: Context) => import("../types.js").Parts[]>} */
const renderers = { my_cases: myCases, consultation, consultation_sent: consultationSent };

/** The screens this journey draws. */
export const screens = Object.keys(renderers);

/**
 * Draws `view`, one of `screens`.
 * @param {View} view @param {Context} ctx
 */
export const render = (view, ctx) => renderers[view.screen](view, ctx);
