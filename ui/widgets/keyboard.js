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
import { writingBox } from "./writing-pad.js";

const CODE_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const ADDRESS_MARKS = ["-", "号", "栋", "单元", "室", "，", "。"];
const CANDIDATES_SHOWN = 8, SURNAMES_SHOWN = 20;

/**
 * What the keyboards read: the pinyin table, the commonest surnames, and whether kioskd reads handwriting.
 * @typedef {{pinyin: Record<string, string>, surnames: string[], writingPad: boolean}} KeyboardData
 * What they remember across the screen's redraws: the way of writing Chinese a resident last chose
 * (it stays for the visit's other fields) and the field whose keyboard is open.
 * @typedef {{chineseMode: string|null, keyboardFor: string|null}} KeyboardMemory
 */

/**
 * The keyboards of one drawing of a screen.
 * @param {{el: import("../types.js").Context["el"], t: import("../types.js").Context["t"], send: import("../types.js").Context["send"],
 *   elderly: boolean, main: HTMLElement, data: KeyboardData, memory: KeyboardMemory}} page
 */
export function keyboards({ el, t, send, elderly, main, data, memory }) {
  // Elderly mode starts on the writing pad, for those who never learned pinyin.
  const usualChineseMode = () => memory.chineseMode || (elderly && data.writingPad ? "write" : "pinyin");
  /** @type {Map<Element, () => void>} */
  const openers = new Map();

  /** @param {HTMLInputElement|HTMLTextAreaElement} input @param {string} layout @param {(value: string) => void} done @param {string} [extra] */
  function keyboard(input, layout, done, extra) {
    const pad = el("div", { class: "keyboard", "data-field": input.id });
    const chinese = layout === "pinyin" || layout === "name";
    let spelling = "", page = 0;
    let mode = !chinese ? layout : layout === "name" && !input.value && data.surnames.length ? "surnames" : usualChineseMode();
    const writing = writingBox(input.id, () => draw(), { el, send });
    /** @param {string} label @param {() => void} action @param {string} [kind] */
    const key = (label, action, kind) => {
      const node = el("button", { class: "key " + (kind || ""), "data-field": input.id, "data-key": label }, label);
      node.addEventListener("click", () => { action(); send({ type: "still_here" }); draw(); });
      return node;
    };
    /** @param {string} text */
    const put = text => () => { input.value += text; };
    const erase = () => {
      if (spelling) { spelling = spelling.slice(0, -1); page = 0; } else input.value = [...input.value].slice(0, -1).join("");
    };
    // The syllable's own characters first, then those of longer syllables it begins (zh → zhang, zhong …).
    const candidates = () => spelling ? [...new Set([...(data.pinyin[spelling] || ""),
      ...Object.keys(data.pinyin).filter(s => s !== spelling && s.startsWith(spelling)).map(s => data.pinyin[s]).join("")])] : [];
    /** @param {(HTMLElement|null)[]} keys @param {string} [kind] */
    const grid = (keys, kind) => el("div", { class: "keys" + (kind ? " " + kind : "") }, keys);
    /** @param {string} to */
    const switchTo = to => () => { mode = to; spelling = ""; page = 0; writing.clear(); if (to !== "surnames" && to !== "digits") memory.chineseMode = to; };
    /** @param {string} label @param {string} to */
    const modeKey = (label, to) => key(label, switchTo(to), mode === to ? "mode chosen" : "mode");
    /** @param {number} count @param {number} per */
    const paging = (count, per) => [page > 0 ? key("‹", () => page--) : null, (page + 1) * per < count ? key("›", () => page++) : null];
    function draw() {
      const rows = [];
      if (chinese) {
        rows.push(grid([modeKey(t("pinyin"), "pinyin"), data.writingPad ? modeKey(t("handwriting"), "write") : null, modeKey("123", "digits"),
          layout === "name" && data.surnames.length ? modeKey(t("surnames"), "surnames") : null], "modes"));
      }
      if (mode === "write") {
        rows.push(el("p", { class: "spelling" }, t("handwriting_hint")));
        rows.push(grid(writing.candidates.map(c => key(c, () => { input.value += c; writing.clear(); }, "candidate"))));
        rows.push(writing.canvas);
      } else if (mode === "surnames") {
        rows.push(el("p", { class: "spelling" }, t("surnames_hint")));
        rows.push(grid([...data.surnames.slice(page * SURNAMES_SHOWN, (page + 1) * SURNAMES_SHOWN).map(c =>
          key(c, () => { input.value += c; mode = usualChineseMode(); page = 0; }, "candidate")),
          ...paging(data.surnames.length, SURNAMES_SHOWN)]));
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
      enter.addEventListener("click", () => { memory.keyboardFor = null; done(input.value); });
      rows.push(grid([mode === "write" ? key(t("rewrite"), () => writing.clear(), "quiet") : null, key("⌫", erase, "quiet"), enter], "last"));
      pad.replaceChildren(...rows);
    }
    draw();
    return pad;
  }

  return {
    // A field typed on an on-screen keyboard: tapping it opens its keyboard under it.
    /** @param {HTMLInputElement|HTMLTextAreaElement} input @param {string} layout @param {(value: string) => void} done @param {string} [extra] */
    typed(input, layout, done, extra) {
      input.setAttribute("inputmode", "none");  // no system keyboard over ours
      const holder = el("div", { class: "keyboard-holder" });
      const open = () => {
        memory.keyboardFor = input.id;
        main.querySelectorAll(".keyboard-holder").forEach(other => other.replaceChildren());
        holder.replaceChildren(keyboard(input, layout, done, extra));
      };
      input.addEventListener("click", open);
      openers.set(holder, open);
      return [input, holder];
    },
    closeKeyboards: () => main.querySelectorAll(".keyboard-holder").forEach(holder => holder.replaceChildren()),
    /** @param {number} index */
    openKeyboard: index => { const holder = main.querySelectorAll(".keyboard-holder")[index]; if (holder) openers.get(holder)?.(); },
    // After a screen is drawn: the keyboard that was open stays open; else the first empty field's opens.
    openAfterDraw() {
      const holders = [...main.querySelectorAll(".keyboard-holder")];
      /** @param {Element} h */
      const field = h => /** @type {HTMLInputElement|null} */ (h.previousElementSibling);
      const again = holders.find(h => field(h)?.id === memory.keyboardFor);
      const first = holders.find(h => field(h) && !field(h)?.value);
      const chosen = again || first;
      if (chosen) openers.get(chosen)?.();
    },
  };
}
