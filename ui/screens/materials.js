// The screens of the materials (KioskCore's Materials.swift and
// MaterialsScreens.swift): each material and how it is provided, a scan in
// progress, and one scanned page large, to keep, delete or scan again.
/** @typedef {import("../types.js").Context} Context @typedef {import("../types.js").View} View */

/** @param {import("../types.js").MaterialsView} view @param {Context} ctx */
function materials(view, { el, t, elderly, button, actions, back, end, next }) {
  // Elderly mode: one material at a time, the first still needed; once all are there, only their pages to look at.
  const current = elderly ? (view.materials.find(x => x.status === "needed") || { id: undefined }).id : undefined;
  /** @param {import("../types.js").MaterialLine} x */
  const acts = x => !elderly || x.id === current;
  return [
    el("h1", {}, t("materials_title")),
    view.online && (!elderly || current) ? button(t("ecert_consent"), { type: "consent_ecertificates" }, "", "e_certificate") : null,
    ...view.materials.map(x => el("div", { class: "material", "data-material": x.id },
      el("p", { class: "status-" + x.status }, el("span", { class: "status" }, t("material_" + x.status)), " " + x.name + (x.pages ? t("scanned_pages", { pages: x.pages }) : "")),
      // Each page as a thumbnail; a tap shows it large, to keep, delete or scan again.
      x.thumbnails && (!elderly || !current) ? el("div", { class: "thumbnails" }, x.thumbnails.map((src, i) => el("button", {
        class: "thumbnail-button", touch: { type: "view_page", material: x.id, index: i }, "aria-label": t("view_page", { name: x.name, page: i + 1 }) },
        el("img", { src, alt: t("page_alt", { name: x.name, page: i + 1 }), class: "thumbnail" })))) : null,
      x.status === "needed" && acts(x) ? el("div", { class: "row" }, button(t("scan"), { type: "scan", material: x.id }, "", "scan"),
        x.platform_may_obtain ? button(t("leave_to_platform"), { type: "leave_to_platform", material: x.id }, "", "cloud") : null)
        : x.status === "scanned" && !elderly ? el("div", { class: "row" }, button(t("scan_more"), { type: "scan", material: x.id }, "", "add_page"),
          button(t("rescan"), { type: "rescan", material: x.id }, "", "rescan")) : null)),
    actions(back(), end(), next(t("check_complete"))),
  ];
}

/** @param {import("../types.js").MaterialsView} view @param {Context} ctx */
function scanning(view, { el, t, actions, back }) {
  const progress = view.scan_progress;
  return [el("h1", {}, t("scanning_title")),
    progress ? el("p", { id: "scan-progress" }, t(progress.percent >= 0 ? "scan_progress" : "scan_page", progress)) : null,
    el("p", {}, t("scanning_hint")), actions(back())];
}

/** @param {import("../types.js").PageView} view @param {Context} ctx */
function page(view, { el, t, button }) {
  const shown = view.page;
  return [
    el("h1", { "data-subject": "" }, t("page_title", { name: shown.name, page: shown.index + 1, pages: shown.pages })),
    el("img", { src: shown.image, alt: t("page_alt", { name: shown.name, page: shown.index + 1 }), class: "page-large", id: "page-large" }),
    el("div", { class: "row" }, button(t("discard_page"), { type: "discard_page", material: shown.material, index: shown.index }, "", "delete"),
      button(t("rescan"), { type: "rescan", material: shown.material }, "", "rescan")),
    button(t("keep_page"), { type: "back" }, "primary", "yes"),
  ];
}

/** @type {Record<string, (view: any, ctx: Context) => import("../types.js").Parts[]>} */
const renderers = { materials, scanning, page };

/** The screens this journey draws. */
export const screens = Object.keys(renderers);

/**
 * Draws `view`, one of `screens`.
 * @param {View} view @param {Context} ctx
 */
export const render = (view, ctx) => renderers[view.screen](view, ctx);
