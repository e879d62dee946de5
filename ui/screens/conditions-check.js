// The screens of the eligibility check (KioskCore's ConditionsCheck.swift and
// ConditionsCheckScreens.swift): the conditions no card answers, each confirmed
// yes or no, and why an applicant may not apply and what to do instead.
/** @typedef {import("../types.js").Context} Context @typedef {import("../types.js").View} View */

/** @param {import("../types.js").GuideView} view @param {Context} ctx */
function conditions(view, { el, t, elderly, option, actions, back, end, next }) {
  // Elderly mode: one question on the screen, the first still open; the others are only read.
  const asking = elderly ? view.service.conditions.findIndex(c => c.standing === "ask") : -1;
  return [
    el("h1", {}, t("conditions_title")),
    ...view.service.conditions.map((c, index) => el("div", { class: "condition", "data-condition": String(index) },
      el("p", {}, c.text),
      c.standing === "checked" ? el("p", { class: "checked" }, t("checked_by_card"))
        : elderly && index !== asking ? (c.standing === "confirmed" ? el("p", { class: "checked" }, t("condition_yes")) : null)
        : el("div", { class: "row", role: "radiogroup" },
          option(t("condition_yes"), { type: "confirm_condition", index, met: true }, c.standing === "confirmed", "radio", "yes"),
          option(t("condition_no"), { type: "confirm_condition", index, met: false }, c.standing === "denied", "radio", "no")))),
    actions(back(), end(), next()),
  ];
}

/** @param {import("../types.js").IneligibleView} view @param {Context} ctx */
function ineligible(view, { el, t, button, actions, back, end }) {
  const instead = view.ineligible.instead;
  return [
    el("h1", {}, t("ineligible_title")),
    el("p", { class: "message", role: "alert", id: "ineligible-reason" }, view.ineligible.reason),
    instead ? button(t("apply_instead", { name: instead.name }), { type: "choose", code: instead.code }, "primary", instead.pictogram) : null,
    button(t("print_guide"), { type: "print_guide" }, "", "printer"),
    button(t("hotline_12345"), { type: "start_consultation", kind: "consultation" }, "", "hotline"),
    actions(back(), end()),
  ];
}

/** @type {Record<string, (view: any, ctx: Context) => import("../types.js").Parts[]>} */
const renderers = { conditions, ineligible };

/** The screens this journey draws. */
export const screens = Object.keys(renderers);

/**
 * Draws `view`, one of `screens`.
 * @param {View} view @param {Context} ctx
 */
export const render = (view, ctx) => renderers[view.screen](view, ctx);
