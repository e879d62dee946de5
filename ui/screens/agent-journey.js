// The screens of a station agent's part (KioskCore's AgentJourney.swift and
// AgentJourneyScreens.swift): the PIN, the console, the station's cases, a
// resident's consent, an enterprise's credit code.
/** @typedef {import("../types.js").Context} Context @typedef {import("../types.js").View} View */

/** @param {View} view @param {Context} ctx */
function agentPIN(view, { el, t, send, typed, button }) {
  const pin = /** @type {HTMLInputElement} */ (el("input", { id: "pin", type: "password", autocomplete: "off" }));
  /** @param {string} value */
  const login = value => { send({ type: "agent_pin", pin: value }); pin.value = ""; };
  const go = button(t("login"), null, "primary");
  go.addEventListener("click", () => login(pin.value));
  return [el("h1", {}, t("agent_title", { agent: view.agent || "" })), el("label", { for: "pin" }, t("pin")), ...typed(pin, "digits", login), go,
    button(t("cancel"), { type: "end" }, "quiet")];
}

/** @param {View} view @param {Context} ctx */
function agentConsole(view, { el, t, button }) {
  return [
    el("h1", {}, t("agent_title", { agent: view.agent || "" })), el("p", {}, t("agent_hint")),
    view.staff_called ? el("p", { class: "message", role: "alert", id: "staff-call" }, t("staff_call_waiting")) : null,
    button(t("agent_enterprise"), { type: "agent_enterprise", code: "", name: "" }),
    button(t("station_cases"), { type: "agent_station_cases" }), button(t("agent_logout"), { type: "agent_logout" }, "quiet"),
  ];
}

/** @param {import("../types.js").CasesView} view @param {Context} ctx */
function stationCases(view, { el, t, button, back }) {
  return [
    el("h1", {}, t("station_cases")),
    ...view.cases.map(c => el("div", {}, el("p", {}, `${c.service_name} · ${c.applicant} · ${c.status} · ${c.tracking_number}`),
      button(t("reprint"), { type: "agent_reprint", code: c.tracking_number }))),
    back(),
  ];
}

/** @param {View} view @param {Context} ctx */
function proxyConsent(view, { el, t, button }) {
  return [
    el("h1", {}, t("consent_title")), el("p", {}, t("consent_question", { resident: view.resident, agent: view.agent })),
    button(t("agree"), { type: "confirm_proxy_consent" }, "primary"), button(t("disagree"), { type: "end" }, "quiet"),
  ];
}

/** @param {View} _view @param {Context} ctx */
function enterprise(_view, { el, t, send, typed, openKeyboard, button, end }) {
  const code = /** @type {HTMLInputElement} */ (el("input", { id: "credit-code" }));
  const name = /** @type {HTMLInputElement} */ (el("input", { id: "enterprise-name" }));
  const identify = () => send({ type: "agent_enterprise", code: code.value, name: name.value });
  const go = button(t("confirm"), null, "primary");
  go.addEventListener("click", identify);
  // The code's 确定 moves on to the name; the name's sends both.
  return [el("h1", {}, t("enterprise_title")), el("label", { for: "credit-code" }, t("credit_code")), ...typed(code, "code", () => openKeyboard(1)),
    el("label", { for: "enterprise-name" }, t("enterprise_name")), ...typed(name, "pinyin", identify), go, end()];
}

/** @type {Record<string, (view: any, ctx: Context) => import("../types.js").Parts[]>} */
const renderers = { agent_pin: agentPIN, agent_console: agentConsole, station_cases: stationCases, proxy_consent: proxyConsent, enterprise };

/** The screens this journey draws. */
export const screens = Object.keys(renderers);

/**
 * Draws `view`, one of `screens`.
 * @param {View} view @param {Context} ctx
 */
export const render = (view, ctx) => renderers[view.screen](view, ctx);
