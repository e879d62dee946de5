// What surrounds every screen's own parts: the step bar of a visit, the message
// or notice, and the sentence kioskd said, shown once as the screen's heading.
/** @typedef {import("../types.js").Context} Context @typedef {import("../types.js").View} View */

// Where the resident is in a visit: 第2步，共5步 on every screen from choosing a matter to the receipt.
const STEPS = [["home", "browse"], ["guide", "conditions", "ineligible"], ["form"],
  ["materials", "scanning", "page", "incomplete", "reserved"], ["review", "submitting", "receipt"]];
const STEP_NAMES = ["step_choose", "step_read", "step_fill", "step_provide", "step_submit"];

/** @param {string} screen @param {Context} ctx */
function stepBar(screen, { el, t }) {
  const index = STEPS.findIndex(step => step.includes(screen));
  if (index < 0) return null;
  return el("div", { class: "steps", id: "step", "data-step": String(index + 1) },
    el("ol", { "aria-hidden": "true" }, STEP_NAMES.map((name, i) => el("li", { class: i < index ? "done" : i === index ? "current" : "" }, t(name)))),
    el("p", {}, t("step_of", { n: index + 1, count: STEPS.length, name: t(STEP_NAMES[index]) })));
}

// The sentence kioskd said is shown once, as the screen's heading (tap it to hear it
// again). Where the speech reads the screen out (a guide, a receipt) the screen's
// own title stays; where the heading names a subject (a life event, a page) the
// sentence goes under it. A refusal is already on screen as the message.
const READ_OUT = new Set(["attract", "guide", "receipt"]);

/** @param {View} view @param {HTMLElement[]} parts @param {Context} ctx @param {() => void} replay */
function spokenOnce(view, parts, { el, t, picture }, replay) {
  const heading = parts.find(part => part.tagName === "H1");
  const said = view.prompt;
  if (!said || READ_OUT.has(view.screen) || [view.message, view.notice, view.ineligible && view.ineligible.reason].includes(said)) return parts;
  const sentence = el("button", { class: "spoken", id: "prompt", "aria-label": t("repeat") + "：" + said }, picture("speaker"), el("span", {}, said));
  sentence.addEventListener("click", replay);
  if (!heading) return [el("h1", {}, sentence), ...parts];
  const at = parts.indexOf(heading);
  if (heading.hasAttribute("data-subject")) return [...parts.slice(0, at + 1), el("p", { class: "prompt" }, sentence), ...parts.slice(at + 1)];
  heading.replaceChildren(sentence);
  return parts;
}

/**
 * The screen's parts in their frame, ready for the page's <main>.
 * @param {View} view @param {HTMLElement[]} parts @param {Context} ctx @param {() => void} replay
 */
export function framed(view, parts, ctx, replay) {
  const { el } = ctx;
  return [
    stepBar(view.screen, ctx),
    view.message ? el("p", { class: "message", role: "alert" }, view.message) : null,
    view.notice ? el("p", { class: "message", role: "alert" }, view.notice) : null,
    ...spokenOnce(view, parts, ctx, replay),
  ].filter(/** @param {HTMLElement|null} part @returns {part is HTMLElement} */ part => part !== null);
}
