// "Try it": send an image, JSON or text to an algorithm and show what it answers:
// ranked bars for a classification, boxes over the image for a detection, and the JSON.

import { callAlgorithm } from "./api.js";
import { errorBox, h, seconds, svg } from "./dom.js";

const COLOURS = ["#e11d48", "#2563eb", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d"];

function predictionsOf(result) {
  const list = Array.isArray(result) ? result : result?.predictions;
  const ranked = Array.isArray(list) && list.length && list.every((p) => p && "label" in p && "score" in p);
  return ranked ? list : null;
}

function detectionsOf(result) {
  const list = Array.isArray(result) ? result : result?.detections;
  const boxes = Array.isArray(list) && list.every((d) => d && ("xmin" in d || "box" in d));
  return boxes ? list : null;
}

function bars(predictions) {
  return h(
    "ol",
    { class: "bars", "aria-label": "Top predictions" },
    predictions.map((p) => {
      const percent = `${(p.score * 100).toFixed(1)}%`;
      const fill = h("span", { class: "bar-fill" });
      fill.style.width = `${Math.max(0, Math.min(100, p.score * 100))}%`;
      return h(
        "li",
        { class: "bar" },
        h("span", { class: "bar-label" }, String(p.label)),
        h("span", { class: "bar-track", "aria-hidden": "true" }, fill),
        h("span", { class: "bar-value" }, percent),
      );
    }),
  );
}

/** A label's place: above its box if it fits, else further down, clear of earlier labels. */
function labelPlace(x, y, width, font, placed) {
  const line = font * 1.25;
  const overlaps = (top) => placed.some((p) => x < p.x + p.width && p.x < x + width && top < p.top + line && p.top < top + line);
  let top = y >= line ? y - line : y;
  while (overlaps(top)) top += line;
  placed.push({ x, top, width });
  return top + font;
}

/** The image with one <rect class="box"> and a label per detection, in image pixels. */
async function overlay(imageUrl, detections) {
  const image = h("img", { src: imageUrl, alt: `Input image with ${detections.length} detections` });
  await image.decode();
  const { naturalWidth: width, naturalHeight: height } = image;
  const font = Math.max(10, Math.round(Math.max(width, height) / 36));
  const layer = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "overlay", "aria-hidden": "true" });
  const placed = [];
  for (const d of detections) {
    const box = d.box || d;
    const x = box.xmin ?? box.x - box.width / 2;
    const y = box.ymin ?? box.y - box.height / 2;
    const colour = COLOURS[(d.class_id ?? 0) % COLOURS.length];
    const name = d.label ?? d.class_name ?? d.class_id;
    const score = d.confidence ?? d.score;
    const text = score === undefined ? String(name) : `${name} ${Math.round(score * 100)}%`;
    const baseline = labelPlace(x, y, text.length * font * 0.62, font, placed);
    layer.append(
      svg("rect", { class: "box", x, y, width: box.width, height: box.height, stroke: colour }),
      svg("text", { class: "box-label", x: x + 2, y: baseline - font * 0.2, fill: colour, "font-size": font }, text),
    );
  }
  return h("div", { class: "figure" }, image, layer);
}

/**
 * Mount the try-it form in `container`.
 * options: {ref: "owner/name[/version]", input: "image"|"json"|"text", output, sample: any}
 */
export function tryIt(container, { ref, input, output, sample }) {
  const error = errorBox("try-error");
  const result = h("div", { id: "try-result", class: "result", "aria-live": "polite" });
  const run = h("button", { id: "try-run", type: "submit", class: "btn btn-primary", disabled: input === "image" }, "Run");
  let file = null;
  let fileUrl = null; // one object URL per chosen file, for the preview and the overlay
  let field;

  if (input === "image") {
    const preview = h("div", { class: "drop-preview" });
    const chooser = h("input", { id: "try-file", type: "file", accept: "image/*" });
    const choose = (picked) => {
      file = picked || null;
      run.disabled = !file;
      preview.replaceChildren();
      if (fileUrl) URL.revokeObjectURL(fileUrl);
      fileUrl = file ? URL.createObjectURL(file) : null;
      if (file) preview.append(h("img", { src: fileUrl, alt: "" }), h("span", {}, file.name));
    };
    chooser.addEventListener("change", () => choose(chooser.files[0]));
    field = h(
      "div",
      { class: "dropzone", "data-testid": "dropzone" },
      h("label", { for: "try-file" }, "Image", h("span", { class: "muted" }, " (drop one here or choose a file)")),
      chooser,
      preview,
    );
    field.addEventListener("dragover", (event) => {
      event.preventDefault();
      field.classList.add("dragging");
    });
    field.addEventListener("dragleave", () => field.classList.remove("dragging"));
    field.addEventListener("drop", (event) => {
      event.preventDefault();
      field.classList.remove("dragging");
      chooser.files = event.dataTransfer.files;
      choose(chooser.files[0]);
    });
  } else {
    const text = sample === undefined || sample === null ? "" : typeof sample === "string" ? sample : JSON.stringify(sample, null, 2);
    field = h(
      "div",
      { class: "field" },
      h("label", { for: "try-input" }, input === "text" ? "Input text" : "Input JSON"),
      h("textarea", { id: "try-input", rows: 8, spellcheck: "false", class: "mono" }, text),
    );
  }

  const request = () => {
    if (input === "image") {
      const type = file.type.startsWith("image/") ? file.type : "application/octet-stream";
      return { body: file, type };
    }
    const text = field.querySelector("textarea").value;
    if (input === "text") return { body: text, type: "text/plain" };
    try {
      JSON.parse(text);
    } catch (e) {
      throw new Error(`The input is not valid JSON: ${e.message}`);
    }
    return { body: text, type: "application/json" };
  };

  const show = async (answer) => {
    const duration = answer.metadata?.duration;
    const json = h("pre", { id: "try-json", class: "json" }, JSON.stringify(answer.result, null, 2));
    const parts = [h("p", { class: "muted", id: "try-duration" }, `Ran in ${seconds(duration)}`)];
    const predictions = predictionsOf(answer.result);
    const detections = detectionsOf(answer.result);
    if (detections && input === "image") {
      parts.push(await overlay(fileUrl, detections));
      parts.push(h("p", { class: "muted" }, `${detections.length} detection${detections.length === 1 ? "" : "s"}`));
    } else if (predictions && input === "image") {
      parts.push(h("div", { class: "classified" }, h("img", { src: fileUrl, alt: "Input image" }), bars(predictions)));
    } else if (predictions) {
      parts.push(bars(predictions));
    } else if (output === "image" && answer.metadata?.content_type === "binary") {
      // the browser sniffs the real format of the base64 bytes
      parts.push(h("img", { class: "output-image", src: `data:image/png;base64,${answer.result}`, alt: "The algorithm's output image" }));
    }
    parts.push(h("h3", {}, "Response"), json);
    result.replaceChildren(...parts);
  };

  const form = h("form", { class: "try", "data-testid": "try-form" }, field, h("div", { class: "actions" }, run), error.element, result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.clear();
    result.replaceChildren();
    run.disabled = true;
    run.textContent = "Running…";
    form.setAttribute("aria-busy", "true");
    try {
      const { body, type } = request();
      const answer = await callAlgorithm(ref, body, type);
      if (answer.error) error.show(answer.error.message, answer.error.stacktrace || answer.error.stack_trace);
      else await show(answer);
    } catch (e) {
      error.show(e.message);
    } finally {
      run.disabled = input === "image" && !file;
      run.textContent = "Run";
      form.removeAttribute("aria-busy");
    }
  });
  container.append(form);
}
