// The writing box: strokes are caught as the finger moves (in the box's own
// 0–400 units) and, at each lift, all of them so far go to kioskd, which
// answers with the likeliest characters. Only the answer to the latest lift is shown.
/** @typedef {import("../types.js").Touch} Touch */

const BOX = 400;

/**
 * A box to write one character in, for the field `field`; `changed` is called when its candidates change.
 * @param {string} field
 * @param {() => void} changed
 * @param {{el: import("../types.js").Context["el"], send: (touch: Touch) => void}} page
 */
export function writingBox(field, changed, { el, send }) {
  const canvas = /** @type {HTMLCanvasElement} */ (el("canvas", { class: "writing", width: String(BOX), height: String(BOX), "data-field": field, "data-read": "0" }));
  const pen = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
  /** @type {{canvas: HTMLCanvasElement, candidates: string[], strokes: number[][][], clear: () => void}} */
  const box = { canvas, candidates: [], strokes: [], clear() {} };
  let asked = 0;
  function paint() {
    pen.clearRect(0, 0, BOX, BOX);
    // 田字格: the guide lines a character is written in at school.
    pen.setLineDash([10, 10]); pen.lineWidth = 2; pen.strokeStyle = "#b8c7d9";
    pen.beginPath(); pen.moveTo(BOX / 2, 0); pen.lineTo(BOX / 2, BOX); pen.moveTo(0, BOX / 2); pen.lineTo(BOX, BOX / 2); pen.stroke();
    pen.setLineDash([]); pen.lineWidth = 12; pen.lineCap = "round"; pen.lineJoin = "round"; pen.strokeStyle = "#1a1a1a";
    for (const stroke of box.strokes) {
      pen.beginPath(); stroke.forEach(([x, y], i) => (i ? pen.lineTo(x, y) : pen.moveTo(x, y)));
      if (stroke.length === 1) pen.lineTo(stroke[0][0] + 0.1, stroke[0][1]);
      pen.stroke();
    }
  }
  /** @param {PointerEvent} event */
  const at = event => {
    const r = canvas.getBoundingClientRect();
    /** @param {number} v */
    const clamp = v => Math.max(0, Math.min(BOX, Math.round(v)));
    return [clamp((event.clientX - r.left) * BOX / r.width), clamp((event.clientY - r.top) * BOX / r.height)];
  };
  /** @type {number[][]|null} */
  let drawing = null;
  canvas.addEventListener("pointerdown", event => {
    event.preventDefault();
    try { canvas.setPointerCapture(event.pointerId); } catch (_) { /* a pointer the page did not see go down */ }
    drawing = [at(event)]; box.strokes.push(drawing); paint();
  });
  canvas.addEventListener("pointermove", event => {
    if (!drawing) return;
    const [x, y] = at(event), [px, py] = drawing[drawing.length - 1];
    if (Math.abs(x - px) + Math.abs(y - py) >= 3) { drawing.push([x, y]); paint(); }
  });
  /** @param {PointerEvent} event */
  const lift = event => {
    if (!drawing) return;
    const last = at(event), [px, py] = drawing[drawing.length - 1];
    if (last[0] !== px || last[1] !== py) drawing.push(last);
    drawing = null; paint(); read();
  };
  canvas.addEventListener("pointerup", lift);
  canvas.addEventListener("pointercancel", lift);
  // One reading at a time: a lift while one is out asks for the strokes as they are once it is back,
  // so kioskd reads no strokes nobody will see, and the candidates catch up with the finger.
  let reading = false, again = false;
  function read() {
    send({ type: "still_here" });
    if (reading) { again = true; return; }
    reading = true;
    const number = ++asked, strokes = box.strokes.length;
    fetch("/api/handwriting", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ width: BOX, height: BOX, strokes: box.strokes }) })
      .then(r => r.ok ? r.json() : { candidates: [] })
      .then(answer => {
        if (number !== asked || again) return;
        box.candidates = answer.candidates || [];
        canvas.dataset.read = String(strokes);
        changed();
      }).catch(() => {})
      .finally(() => {
        reading = false;
        if (again && box.strokes.length) { again = false; read(); }
      });
  }
  box.clear = () => { asked++; again = false; box.strokes = []; box.candidates = []; canvas.dataset.read = "0"; paint(); };
  paint();
  return box;
}
