// The touchscreen page: it renders whatever screen kioskd pushes on /ws and
// sends touches back. It keeps nothing of its own: a reload shows the current
// screen, and the end of a session replaces everything (docs/local-api.md).
"use strict";
const main = document.getElementById("screen");
let socket;

window.kioskdTouch = touch;
function touch(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (key === "touch") node.addEventListener("click", () => touch(value));
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}

const button = (text, message, kind) => el("button", { touch: message, class: kind || "" }, text);
const back = () => button("返回上一步", { type: "back" }, "quiet");
const end = () => button("退出（清除我的信息）", { type: "end" }, "quiet");

const screens = {
  attract: () => [
    el("h1", {}, "请刷身份证"),
    el("div", { class: "card-slot", "aria-hidden": "true" }, el("span")),
    el("p", {}, "把身份证平放在屏幕下方的读卡区。"),
    el("div", { class: "row" }, button("长辈模式", { type: "elderly_mode", on: true }), button("English", { type: "language", value: "en" })),
  ],
  home: m => [
    el("h1", {}, `${m.resident || ""}，您好`),
    button("常用事项", { type: "menu", menu: "popular" }, "primary"),
    button("生育 · 出生", { type: "menu", menu: "life_event", value: "birth" }),
    button("养老", { type: "menu", menu: "life_event", value: "elderly" }),
    button("社会救助", { type: "menu", menu: "life_event", value: "assistance" }),
    button("我的办件", { type: "my_cases" }),
    button("咨询 · 投诉", { type: "start_consultation", kind: "consultation" }),
    end(),
  ],
  browse: m => [el("h1", {}, "请选择事项"), ...(m.menu || []).map(e => button((e.bundle ? "【一件事】" : "") + e.name, { type: "choose", code: e.code })), back()],
  guide: m => [
    el("h1", {}, m.service.name),
    el("h2", {}, "办理条件"), el("ul", { class: "plain" }, m.service.conditions.map(c => el("li", {}, c))),
    el("h2", {}, "需要的材料"), el("ul", { class: "plain" }, m.service.materials.map(c => el("li", {}, c))),
    el("p", {}, m.service.promised_working_days === 0 ? "当场办结" : `承诺 ${m.service.promised_working_days} 个工作日内办结 · ${m.service.fee}`),
    button("下一步", { type: "next" }, "primary"), back(),
  ],
  form: m => [
    el("h1", {}, "请核对申请表"),
    ...m.form.map(f => {
      const input = el("input", { id: f.id, value: f.value });
      if (f.locked) input.setAttribute("readonly", "");
      input.addEventListener("change", () => touch({ type: "set_field", id: f.id, value: input.value }));
      return [el("label", { for: f.id }, f.label + (f.required ? "（必填）" : "")), input, f.problem ? el("p", { class: "problem" }, f.problem) : null];
    }),
    button("下一步", { type: "next" }, "primary"), back(),
  ],
  materials: m => [
    el("h1", {}, "请提供材料"),
    m.online ? button("查询我的电子证照（我同意查询）", { type: "consent_ecertificates" }) : null,
    ...m.materials.map(x => el("div", {},
      el("p", { class: x.status === "needed" ? "status-needed" : "status-done" }, x.name + (x.pages ? `（已扫描 ${x.pages} 页）` : "")),
      x.status === "needed" ? el("div", { class: "row" }, button("扫描", { type: "scan", material: x.id }),
        x.platform_may_obtain ? button("由平台调取", { type: "leave_to_platform", material: x.id }) : null) : null)),
    button("检查是否齐全", { type: "next" }, "primary"), back(),
  ],
  scanning: () => [el("h1", {}, "正在扫描…"), el("p", {}, "请不要移动材料。"), back()],
  incomplete: m => [
    el("h1", {}, "材料还不齐"), el("ul", { class: "plain" }, m.missing.map(x => el("li", {}, x))),
    el("p", {}, "可以现在补齐，或预约一天带齐再来一次："),
    ...(m.reservation_dates || []).map(d => button("预约 " + d, { type: "reserve", date: d })), back(),
  ],
  review: m => [
    el("h1", {}, "请确认"), el("p", {}, m.service.name),
    el("ul", { class: "plain" }, m.materials.map(x => el("li", {}, `${x.name}：${x.status === "needed" ? "未提供" : "已提供"}`))),
    button("提交申请", { type: "submit" }, "primary"), back(),
  ],
  submitting: () => [el("h1", {}, "正在保存您的申请…")],
  receipt: m => [
    el("h1", {}, "申请已提交"), el("p", {}, "办件编号"), el("p", { class: "prompt", id: "tracking-number" }, m.receipt.tracking_number),
    el("p", {}, `承诺办结日期：${m.receipt.promise}`), el("p", {}, `结果领取：${m.receipt.delivery}`),
    button("打印回执", { type: "print_again" }), button("下一步：评价", { type: "next" }, "primary"),
  ],
  rating: () => [
    el("h1", {}, "请为本次服务评价"),
    ...[["非常满意", 1], ["满意", 2], ["基本满意", 3]].map(([t, l]) => button(t, { type: "rate", level: l })),
    button("不满意：等待时间长", { type: "rate", level: 4, reasons: ["等待时间长"] }),
    button("非常不满意：操作复杂", { type: "rate", level: 5, reasons: ["操作复杂"] }),
    button("跳过", { type: "skip_rating" }, "quiet"),
  ],
  done: () => [el("h1", {}, "谢谢！"), button("办理其他事项", { type: "next" }), end()],
  my_cases: m => [el("h1", {}, "我的办件"), ...(m.cases || []).map(c => el("p", {}, `${c.service_name} · ${c.status} · ${c.tracking_number}`)), back()],
  paused: () => [el("h1", {}, "请把身份证放回读卡区"), end()],
  reserved: () => [el("h1", {}, "已预约"), el("p", {}, "请按预约日期带齐材料再来一次。"), back(), end()],
  consultation: () => {
    const text = el("textarea", { id: "consultation-text", rows: "5", maxlength: "500" });
    const phone = el("input", { id: "consultation-phone", inputmode: "tel" });
    const send = el("button", { class: "primary" }, "提交");
    send.addEventListener("click", () => touch({ type: "send_consultation", text: text.value, phone: phone.value || undefined }));
    return [el("h1", {}, "咨询 · 投诉 · 建议"), el("label", { for: "consultation-text" }, "内容（最多500字）"), text,
      el("label", { for: "consultation-phone" }, "联系电话（可不填）"), phone, send, back()];
  },
  consultation_sent: m => [el("h1", {}, "已提交"), el("p", {}, `受理编号：${m.reference}`), back(), end()],
  enterprise: () => {
    const code = el("input", { id: "credit-code" });
    const name = el("input", { id: "enterprise-name" });
    const go = el("button", { class: "primary" }, "确定");
    go.addEventListener("click", () => touch({ type: "agent_enterprise", code: code.value, name: name.value }));
    return [el("h1", {}, "单位代办"), el("label", { for: "credit-code" }, "统一社会信用代码"), code, el("label", { for: "enterprise-name" }, "单位名称"), name, go,
      end()];
  },
  agent_pin: m => {
    const pin = el("input", { id: "pin", type: "password", inputmode: "numeric", autocomplete: "off" });
    const login = el("button", { class: "primary" }, "登录");
    login.addEventListener("click", () => { touch({ type: "agent_pin", pin: pin.value }); pin.value = ""; });
    return [el("h1", {}, `代办员 ${m.agent || ""}`), el("label", { for: "pin" }, "请输入密码"), pin, login, button("取消", { type: "end" }, "quiet")];
  },
  agent_console: m => [
    el("h1", {}, `代办员 ${m.agent || ""}`), el("p", {}, "请居民把身份证放在读卡区，确认授权后开始代办。"),
    button("单位代办（输入统一社会信用代码）", { type: "agent_enterprise", code: "", name: "" }),
    button("本站办件", { type: "agent_station_cases" }), button("退出登录", { type: "agent_logout" }, "quiet"),
  ],
  proxy_consent: m => [
    el("h1", {}, "代办授权"), el("p", {}, `${m.resident}，代办员 ${m.agent} 将为您代办事项。您同意吗？`),
    button("我同意", { type: "confirm_proxy_consent" }, "primary"), button("不同意", { type: "end" }, "quiet"),
  ],
  station_cases: m => [
    el("h1", {}, "本站办件"),
    ...(m.cases || []).map(c => el("div", {}, el("p", {}, `${c.service_name} · ${c.applicant} · ${c.status} · ${c.tracking_number}`),
      button("补打回执", { type: "agent_reprint", code: c.tracking_number }))),
    back(),
  ],
};

// Speech: kioskd renders each screen's prompt (espeak-ng, Mandarin); the page plays it.
const voice = document.getElementById("voice");
const volume = document.getElementById("volume");
const DEFAULT_VOLUME = 80;
let spoken = null;
function say(model) {
  const key = model.screen + "\u0000" + (model.prompt || "");
  if (!model.prompt || key === spoken) return;
  spoken = key;
  voice.src = "/api/speech?at=" + Date.now();
  voice.play().catch(() => {});
}
document.getElementById("repeat").addEventListener("click", () => { voice.currentTime = 0; voice.play().catch(() => {}); touch({ type: "still_here" }); });
document.getElementById("stop").addEventListener("click", () => { voice.pause(); touch({ type: "still_here" }); });
volume.addEventListener("input", () => { voice.volume = volume.value / 100; });

function render(model) {
  if (model.error) return;
  if (model.screen === "attract" && !model.elderly_mode) {
    // A new resident starts at the usual volume, whatever the last one chose.
    volume.value = DEFAULT_VOLUME;
    voice.volume = DEFAULT_VOLUME / 100;
  }
  say(model);
  document.body.classList.toggle("elderly", !!model.elderly_mode);
  document.getElementById("link").textContent = model.online ? "网络正常" : "网络未连接：申请会先保存，恢复后自动上报";
  document.getElementById("idle").hidden = !model.idle_warning;
  const draw = screens[model.screen] || (() => [el("h1", {}, model.prompt || ""), end()]);
  // What is being typed survives a redraw of the same screen (PINs excepted).
  const typing = main.dataset.screen === model.screen
    ? [...main.querySelectorAll("input, textarea")].filter(e => e.id && e.type !== "password" && e.type !== "range").map(e => [e.id, e.value]) : [];
  main.replaceChildren(...[
    model.prompt && model.screen !== "attract" ? el("p", { class: "prompt" }, model.prompt) : null,
    model.message ? el("p", { class: "message", role: "alert" }, model.message) : null,
    model.notice ? el("p", { class: "message", role: "alert" }, model.notice) : null,
    ...draw(model).flat(),
  ].filter(Boolean));
  for (const [id, value] of typing) {
    const box = document.getElementById(id);
    if (box && !box.value) box.value = value;
  }
  main.dataset.screen = model.screen;
  // After the frame that shows it: the touch-to-paint benchmark listens for this.
  requestAnimationFrame(() => requestAnimationFrame(() => window.dispatchEvent(new Event("kioskd-painted"))));
}

function connect() {
  socket = new WebSocket(`ws://${location.host}/ws`);
  socket.onmessage = event => render(JSON.parse(event.data));
  socket.onclose = () => setTimeout(connect, 1000);
}
document.getElementById("idle").querySelector("button").addEventListener("click", () => touch({ type: "still_here" }));
document.addEventListener("contextmenu", event => event.preventDefault());
connect();
