// /ui/signin: a username and password, or an API key; then back to ?next=.

import { signIn } from "./api.js";
import { errorBox, h, title } from "./dom.js";

function nextUrl() {
  const next = new URLSearchParams(location.search).get("next") || "/ui/";
  // only paths on this site: no "//host" or "/\host"
  return /^\/(?![/\\])/.test(next) ? next : "/ui/";
}

function form(id, fields, [submitLabel, style], credentials, error, navigate) {
  const submit = h("button", { type: "submit", class: `btn ${style}`.trim(), id: `${id}-submit` }, submitLabel);
  const element = h("form", { id, class: "stack" }, fields, submit);
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.clear();
    submit.disabled = true;
    try {
      await signIn(credentials());
      navigate(nextUrl(), { replace: true });
    } catch (e) {
      error.show(e.message);
      submit.disabled = false;
    }
  });
  return element;
}

function field(id, label, attrs) {
  return h("div", { class: "field" }, h("label", { for: id }, label), h("input", { id, name: id, required: true, ...attrs }));
}

export async function signinPage(view, _args, { navigate }) {
  const error = errorBox("signin-error");
  const value = (id) => view.querySelector(`#${id}`).value;
  const password = form(
    "signin-form",
    [
      field("signin-username", "Username", { autocomplete: "username", autocapitalize: "none", spellcheck: "false" }),
      field("signin-password", "Password", { type: "password", autocomplete: "current-password" }),
    ],
    ["Sign in", "btn-primary"],
    () => ({ username: value("signin-username").trim(), password: value("signin-password") }),
    error,
    navigate,
  );
  const key = form(
    "signin-key-form",
    [field("signin-apikey", "API key", { type: "password", autocomplete: "off", spellcheck: "false", placeholder: "mp_…" })],
    ["Sign in with key", ""],
    () => ({ api_key: value("signin-apikey").trim() }),
    error,
    navigate,
  );
  view.append(
    h(
      "section",
      { class: "page narrow" },
      h(
        "div",
        { class: "card signin" },
        title("Sign in"),
        h("p", { class: "muted" }, "Sign in to deploy, call and manage models."),
        error.element,
        password,
        h("div", { class: "divider", role: "separator" }, h("span", {}, "or use an API key")),
        key,
      ),
    ),
  );
}
