// The parts of the page outside a screen: the header (the station, the link),
// the footer on every screen (呼叫工作人员, 重听, 停止, the volume) and the idle warning.
/** @typedef {import("../types.js").View} View @typedef {import("../types.js").Touch} Touch */

/** @param {string} id */
const byId = id => /** @type {HTMLElement} */ (document.getElementById(id));

/** @param {string} selector @param {string} words */
const text = (selector, words) => { /** @type {HTMLElement} */ (document.querySelector(selector)).textContent = words; };

/**
 * Makes the footer's controls send their touches: 呼叫工作人员 (an agent at the kiosk answers with the
 * same button), 重听 plays the sentence again, 停止 stops it; the volume is the page's own.
 * @param {(touch: Touch) => void} send @param {HTMLAudioElement} voice @param {() => void} replay
 */
export function wireFooter(send, voice, replay) {
  byId("call-staff").addEventListener("click", () =>
    send(byId("call-staff").dataset.staff === "answer" ? { type: "staff_answered" } : { type: "call_staff" }));
  byId("repeat").addEventListener("click", replay);
  byId("stop").addEventListener("click", () => { voice.pause(); send({ type: "still_here" }); });
  const volume = /** @type {HTMLInputElement} */ (byId("volume"));
  volume.addEventListener("input", () => { voice.volume = Number(volume.value) / 100; });
  /** @type {HTMLElement} */ (byId("idle").querySelector("button")).addEventListener("click", () => send({ type: "still_here" }));
}

/**
 * The header, the footer and the idle warning for `view`, in its language.
 * @param {View} view @param {(key: string, values?: Record<string, unknown>) => string} t
 */
export function showFooter(view, t) {
  byId("station").textContent = t("station");
  byId("idle-text").textContent = t("idle_question");
  text("#idle button span", t("still_here"));
  text("#repeat span", t("repeat"));
  const call = byId("call-staff");
  call.dataset.staff = view.staff_called ? (view.agent ? "answer" : view.online ? "called" : "unreached") : "idle";
  text("#call-staff span", t({ idle: "call_staff", called: "staff_called", unreached: "staff_unreached", answer: "staff_answer" }[call.dataset.staff] || "call_staff"));
  text("#stop span", t("stop"));
  text("label[for=volume]", t("volume"));
  byId("link").textContent = view.online ? t("online") : t("offline");
  byId("idle").hidden = !view.idle_warning;
  byId("idle-countdown").textContent = view.idle_seconds_left === undefined ? "" : t("idle_countdown", { s: view.idle_seconds_left });
}
