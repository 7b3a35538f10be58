// Small DOM helpers: an element builder, copy buttons, badges and formatting.

/**
 * h("a", {href: "/ui/", class: "x", onclick: fn}, "text", child): an element.
 * Attributes starting with "on" become listeners; false/null attributes are left out;
 * children are nodes or strings (always text, never HTML); arrays are flattened.
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "text") element.textContent = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return element;
}

/** An SVG element (for the detection overlay). */
export function svg(tag, attrs = {}, ...children) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** A button that copies `text()` and says so. */
export function copyButton(text, label = "Copy", attrs = {}) {
  const button = h("button", { type: "button", class: "btn btn-small", ...attrs }, label);
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text());
      button.textContent = "Copied";
    } catch {
      button.textContent = "Copy failed";
    }
    setTimeout(() => (button.textContent = label), 1500);
  });
  return button;
}

/** A code block with a copy button. */
export function codeBlock(code, attrs = {}) {
  return h(
    "div",
    { class: "code", ...attrs },
    h("pre", {}, h("code", {}, code)),
    copyButton(() => code, "Copy", { "aria-label": `Copy ${attrs["data-label"] || "code"}` }),
  );
}

export function badge(text, kind = "neutral") {
  return h("span", { class: `badge badge-${kind}` }, text);
}

const STATUS_KINDS = { succeeded: "ok", failed: "bad", "in-progress": "warn", public: "ok", private: "neutral" };

export function statusBadge(status) {
  return badge(status, STATUS_KINDS[status] || "neutral");
}

/** A live region for errors (role=alert) with `show(message, detail)` and `clear()`. */
export function errorBox(id) {
  const box = h("div", { id, class: "alert", role: "alert", hidden: true });
  return {
    element: box,
    show(message, detail = null) {
      box.replaceChildren(h("p", {}, message));
      if (detail) box.append(h("details", {}, h("summary", {}, "Stack trace"), h("pre", {}, detail)));
      box.hidden = false;
    },
    clear() {
      box.hidden = true;
      box.replaceChildren();
    },
  };
}

export function bytes(size) {
  if (size === null || size === undefined) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${size} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function date(stamp) {
  if (!stamp) return "";
  const when = new Date(stamp);
  return h("time", { datetime: stamp, title: when.toISOString() }, when.toLocaleString());
}

export function millis(ms) {
  if (ms === null || ms === undefined) return "–";
  if (ms < 0.1) return "< 0.1 ms";
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

export function seconds(value) {
  if (value === null || value === undefined) return "–";
  return value < 1 ? millis(value * 1000) : `${value.toFixed(1)} s`;
}

export function shortHash(sha) {
  return sha ? sha.slice(0, 10) : "";
}

/** A page heading that takes focus after navigation (tabindex=-1). */
export function title(text) {
  document.title = `${text} · modelport`;
  return h("h1", { tabindex: "-1" }, text);
}

/** headings: labels (strings or nodes), or [label, class] for a classed column. */
export function table(headings, rows, attrs = {}) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      attrs,
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          headings.map((heading) => {
            const [label, cls] = Array.isArray(heading) ? heading : [heading, null];
            return h("th", { scope: "col", class: cls }, label);
          }),
        ),
      ),
      h("tbody", {}, rows),
    ),
  );
}

/**
 * Accessible tabs: items [{id, label, panel}]; arrow keys move between tabs; the chosen
 * tab is kept in the URL's hash so that a link or a reload opens it again.
 */
export function tabs(items, label) {
  const list = h("div", { role: "tablist", "aria-label": label, class: "tabs" });
  const panels = [];
  const buttons = items.map(({ id, label: text, panel }) => {
    const button = h("button", { type: "button", role: "tab", id: `tab-${id}`, "aria-controls": `panel-${id}` }, text);
    panels.push(h("div", { role: "tabpanel", id: `panel-${id}`, "aria-labelledby": `tab-${id}`, tabindex: "0", class: "panel" }, panel));
    return button;
  });
  const select = (index, focus = false, remember = true) => {
    buttons.forEach((button, i) => {
      const on = i === index;
      button.setAttribute("aria-selected", String(on));
      button.tabIndex = on ? 0 : -1;
      panels[i].hidden = !on;
    });
    if (focus) buttons[index].focus();
    if (remember) history.replaceState(null, "", `#${items[index].id}`);
  };
  buttons.forEach((button, i) => {
    button.addEventListener("click", () => select(i));
    button.addEventListener("keydown", (event) => {
      const moves = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: buttons.length - 1 };
      if (!(event.key in moves)) return;
      event.preventDefault();
      select((moves[event.key] + buttons.length) % buttons.length, true);
    });
  });
  list.append(...buttons);
  const wanted = items.findIndex((item) => `#${item.id}` === location.hash);
  select(Math.max(0, wanted), false, false);
  return h("div", { class: "tabset" }, list, panels);
}

/** A modal <dialog> asking to confirm; resolves true when confirmed. */
export function confirmDialog(message, confirmLabel) {
  return new Promise((resolve) => {
    const cancel = h("button", { type: "submit", value: "cancel", class: "btn" }, "Cancel");
    const confirm = h("button", { type: "submit", value: "confirm", class: "btn btn-danger", id: "confirm-ok" }, confirmLabel);
    const dialog = h(
      "dialog",
      { class: "dialog", "aria-labelledby": "confirm-message" },
      h("form", { method: "dialog" }, h("p", { id: "confirm-message" }, message), h("div", { class: "actions" }, cancel, confirm)),
    );
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "confirm");
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
