// The page's building blocks, made for one screen: elements, buttons that send
// a touch, tiles, choices, the way on and back, and elderly mode's "a few at a time".
/** @typedef {import("../types.js").Touch} Touch @typedef {import("../types.js").Parts} Parts */

const SVG = "http://www.w3.org/2000/svg";
const ELDERLY_CHOICES = 4;

/**
 * The controls for a screen drawn in `language` with `t`, sending touches with `send`.
 * `shownFrom` keeps where each of elderly mode's short lists is (the page's, across redraws);
 * `redraw` draws the screen again when 更多 shows the next few.
 * @param {{t: (key: string, values?: Record<string, unknown>) => string, send: (touch: Touch) => void, elderly: boolean,
 *   shownFrom: Record<string, number>, redraw: () => void}} page
 */
export function controls({ t, send, elderly, shownFrom, redraw }) {
  /** @param {string} tag @param {Record<string, unknown>|null} [attributes] @param {...Parts} children */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (key === "touch") { if (value) node.addEventListener("click", () => send(/** @type {Touch} */ (value))); }
      else if (key === "class") node.className = String(value);
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) node.append(child);
    return node;
  }
  // A symbol of /pictograms.svg in the colour of the text beside it: decoration for a reader
  // (the text names the button); `data-pictogram` names it for tests.
  /** @param {string} name */
  function picture(name) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "pictogram");
    svg.setAttribute("aria-hidden", "true");
    const use = document.createElementNS(SVG, "use");
    use.setAttribute("href", "#pictogram-" + name);
    svg.append(use);
    return svg;
  }
  /** @param {string} text @param {Touch|null} touch @param {string} [kind] @param {string} [pictogram] */
  function button(text, touch, kind, pictogram) {
    const node = /** @type {HTMLButtonElement} */ (el("button", { touch, class: kind || "" }, pictogram ? [picture(pictogram), el("span", {}, text)] : text));
    if (pictogram) node.dataset.pictogram = pictogram;
    return node;
  }
  // A choice among several: the chosen one is ticked, not only coloured.
  /** @param {string} text @param {Touch} touch @param {boolean} chosen @param {string} [role] @param {string} [pictogram] */
  function option(text, touch, chosen, role, pictogram) {
    const node = button((chosen ? "✓ " : "") + text, touch, chosen ? "chosen" : "", pictogram);
    node.setAttribute("role", role || "radio");
    node.setAttribute("aria-checked", String(!!chosen));
    return node;
  }
  // Elderly mode asks one thing at a time: at most four choices on a screen; a longer list
  // shows a few at a time and 更多 for the rest, in turn.
  /** @param {string} group @param {HTMLElement[]} nodes @param {number} [room] */
  function few(group, nodes, room = ELDERLY_CHOICES) {
    if (!elderly || nodes.length <= room) return nodes;
    const per = room - 1, from = (shownFrom[group] || 0) % nodes.length;
    const more = button(t("more"), null, nodes[0].classList.contains("tile") ? "tile" : "", "more");
    more.addEventListener("click", () => { shownFrom[group] = from + per >= nodes.length ? 0 : from + per; send({ type: "still_here" }); redraw(); });
    return [...nodes.slice(from, from + per), more];
  }
  // A large square choice in a grid of them: the picture above, the name under it.
  /** @param {string} text @param {Touch} touch @param {string} pictogram */
  const tile = (text, touch, pictogram) => button(text, touch, "tile", pictogram);
  return {
    el, picture, button, option, few, tile,
    /** @param {...Parts} nodes */
    tiles: (...nodes) => el("div", { class: "tiles" }, ...nodes),
    /** @param {import("../types.js").MenuLine} entry */
    entryTile: entry => tile((entry.bundle ? t("bundle_mark") : "") + entry.name, { type: "choose", code: entry.code }, entry.pictogram),
    // The way on and back, at the foot of every screen of a visit: back and exit on the left, the next step on the right.
    /** @param {...Parts} nodes */
    actions: (...nodes) => el("div", { class: "actions" }, ...nodes),
    back: () => button(t("back"), { type: "back" }, "quiet", "back"),
    /** @param {string} [text] @param {Touch} [touch] */
    next: (text, touch) => button(text || t("next"), touch || { type: "next" }, "primary", "next"),
    end: () => button(t("end"), { type: "end" }, "quiet", "exit"),
  };
}
