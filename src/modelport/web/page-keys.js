// /ui/keys: the caller's API keys; a new key is shown once; revoking asks first.

import { api, can } from "./api.js";
import { badge, confirmDialog, copyButton, date, errorBox, h, table, title } from "./dom.js";

const SCOPES = [
  ["algo:call", "Call algorithms"],
  ["algo:manage", "Deploy and publish algorithms"],
  ["data:read", "Read data"],
  ["data:write", "Write data"],
  ["admin", "Administer the server"],
];

function keyRow(key, refresh, error) {
  const revoked = Boolean(key.revoked_at);
  const revoke = h("button", { type: "button", class: "btn btn-small btn-danger-quiet", "data-testid": "key-revoke", "aria-label": `Revoke ${key.name || key.prefix}` }, "Revoke");
  revoke.addEventListener("click", async () => {
    if (!(await confirmDialog(`Revoke the key ${key.name || key.prefix}? Programs using it stop working at once.`, "Revoke"))) return;
    try {
      await api(`/v1/keys/${encodeURIComponent(key.id)}`, { method: "DELETE" });
      await refresh();
    } catch (e) {
      error.show(e.message);
    }
  });
  return h(
    "tr",
    { "data-testid": "key-row", "data-key-id": key.id, "data-key-name": key.name || "", class: revoked ? "revoked" : null },
    h("td", {}, key.name || h("span", { class: "muted" }, "(unnamed)")),
    h("td", {}, h("code", {}, `${key.prefix}…`)),
    h("td", { class: "col-optional" }, h("ul", { class: "scopes" }, key.scopes.map((s) => h("li", {}, badge(s))))),
    h("td", { class: "col-optional" }, date(key.created_at)),
    h("td", {}, revoked ? badge("revoked", "bad") : revoke),
  );
}

function createdPanel(created, done) {
  return h(
    "div",
    { class: "card reveal", id: "key-new", role: "status" },
    h("h2", {}, "Your new key"),
    h("p", { class: "warning" }, "Copy it now: this is the only time it is shown."),
    h("div", { class: "secret" }, h("code", { id: "key-secret" }, created.key), copyButton(() => created.key, "Copy", { id: "key-copy" })),
    h("button", { type: "button", class: "btn", id: "key-done", onclick: done }, "Done"),
  );
}

export async function keysPage(view) {
  const error = errorBox("keys-error");
  const tbody = h("tbody");
  const reveal = h("div", {});
  const refresh = async () => {
    const { results } = await api("/v1/keys");
    tbody.replaceChildren(...results.map((key) => keyRow(key, refresh, error)));
  };
  const checks = SCOPES.filter(([scope]) => can(scope)).map(([scope, label]) => {
    const id = `scope-${scope.replace(":", "-")}`;
    return h("div", { class: "check" }, h("input", { type: "checkbox", id, value: scope, checked: scope !== "admin" }), h("label", { for: id }, h("code", {}, scope), ` ${label}`));
  });
  const submit = h("button", { type: "submit", class: "btn btn-primary", id: "keys-create" }, "Create key");
  const form = h(
    "form",
    { class: "stack", id: "keys-form" },
    h("div", { class: "field" }, h("label", { for: "key-name" }, "Name"), h("input", { id: "key-name", placeholder: "laptop, ci, …", autocomplete: "off" })),
    h("fieldset", { class: "scopes-field" }, h("legend", {}, "Scopes"), checks),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.clear();
    const scopes = [...form.querySelectorAll("input[type=checkbox]:checked")].map((c) => c.value);
    if (!scopes.length) {
      error.show("Choose at least one scope.");
      return;
    }
    submit.disabled = true;
    try {
      const created = await api("/v1/keys", { method: "POST", json: { name: form.querySelector("#key-name").value.trim(), scopes } });
      reveal.replaceChildren(createdPanel(created, () => reveal.replaceChildren()));
      reveal.querySelector("#key-copy").focus();
      form.reset();
      await refresh();
    } catch (e) {
      error.show(e.message);
    } finally {
      submit.disabled = false;
    }
  });
  await refresh();
  const headings = ["Name", "Key", ["Scopes", "col-optional"], ["Created", "col-optional"], h("span", { class: "sr-only" }, "Status")];
  const keys = table(headings, [], { class: "table", id: "keys-table" });
  keys.querySelector("tbody").replaceWith(tbody);
  view.append(
    h(
      "section",
      { class: "page" },
      title("API keys"),
      h("p", { class: "muted" }, "Keys let programs call the API as you: send one as ", h("code", {}, "Authorization: Simple KEY"), "."),
      reveal,
      h("div", { class: "split" }, keys, h("section", { class: "card side" }, h("h2", {}, "New key"), form, error.element)),
    ),
  );
}
