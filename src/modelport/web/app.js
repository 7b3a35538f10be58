// The single-page app: routes, the header, and history navigation over real links.

import { loadSession, session, signOut } from "./api.js";
import { h, title } from "./dom.js";
import { algorithmPage } from "./page-algorithm.js";
import { algorithmsPage } from "./page-algorithms.js";
import { dataPage } from "./page-data.js";
import { demoPage } from "./page-demo.js";
import { keysPage } from "./page-keys.js";
import { signinPage } from "./page-signin.js";

// [pattern, page, needs a session]; captured groups are passed to the page, decoded.
const ROUTES = [
  [/^\/ui\/?$/, algorithmsPage, true],
  [/^\/ui\/signin\/?$/, signinPage, false],
  [/^\/ui\/algorithms\/([^/]+)\/([^/]+)\/?$/, algorithmPage, true],
  [/^\/ui\/data(?:\/(.*?))?\/?$/, dataPage, true],
  [/^\/ui\/keys\/?$/, keysPage, true],
  [/^\/demo\/([^/]+)\/([^/]+)\/?$/, demoPage, false],
];
const NAV = [
  ["/ui/", "Algorithms", /^\/ui\/(algorithms\/.*)?$/],
  ["/ui/data", "Data", /^\/ui\/data/],
  ["/ui/keys", "Keys", /^\/ui\/keys/],
];

const main = document.getElementById("main");
let rendering = 0; // the newest navigation wins when pages load concurrently

function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  render();
}

function header(pathname) {
  const signedIn = session();
  const nav = document.getElementById("nav");
  const account = document.getElementById("account");
  nav.replaceChildren();
  account.replaceChildren();
  if (signedIn) {
    nav.append(
      h(
        "ul",
        {},
        NAV.map(([href, label, active]) =>
          h("li", {}, h("a", { href, "aria-current": active.test(pathname) ? "page" : false }, label)),
        ),
      ),
    );
    const out = h("button", { type: "button", class: "btn btn-small", id: "signout" }, "Sign out");
    out.addEventListener("click", async () => {
      out.disabled = true;
      try {
        await signOut();
      } finally {
        navigate("/ui/signin");
      }
    });
    account.append(h("span", { class: "who", id: "signed-in-user" }, signedIn.account.name), out);
  } else if (!pathname.startsWith("/ui/signin")) {
    const next = encodeURIComponent(pathname + location.search);
    account.append(h("a", { class: "btn btn-small", href: `/ui/signin?next=${next}`, id: "signin-link" }, "Sign in"));
  }
}

function notFound() {
  return h("section", { class: "page" }, title("Page not found"), h("p", {}, h("a", { href: "/ui/" }, "Back to the algorithms")));
}

async function render() {
  const ticket = ++rendering;
  const { pathname } = location;
  const route = ROUTES.find(([pattern]) => pattern.test(pathname));
  if (route && route[2] && !session()) {
    navigate(`/ui/signin?next=${encodeURIComponent(pathname + location.search + location.hash)}`, { replace: true });
    return;
  }
  header(pathname);
  const view = h("div", { class: "view" });
  if (!route) {
    view.append(notFound());
  } else {
    const args = pathname.match(route[0]).slice(1).map((part) => (part === undefined ? "" : decodeURIComponent(part)));
    try {
      await route[1](view, args, { navigate });
    } catch (error) {
      if (error.status === 401 && route[2]) {
        await loadSession(); // the session ended elsewhere: sign in again, then come back
        if (!session()) return render();
      }
      view.replaceChildren(
        h("section", { class: "page" }, title("Something went wrong"), h("p", { class: "alert", role: "alert" }, error.message)),
      );
    }
  }
  if (ticket !== rendering) return;
  main.replaceChildren(view);
  const heading = main.querySelector("h1");
  if (heading && document.activeElement !== heading && !main.contains(document.activeElement)) heading.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href]");
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  if (link.target || link.hasAttribute("download")) return;
  const url = new URL(link.href);
  if (url.origin !== location.origin || !/^\/(ui|demo)(\/|$)/.test(url.pathname)) return;
  event.preventDefault();
  navigate(url.pathname + url.search + url.hash);
});
window.addEventListener("popstate", render);

loadSession()
  .catch(() => null)
  .then(render);
