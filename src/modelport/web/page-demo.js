// /demo/OWNER/NAME: a public page to try a shared algorithm, no sign-in needed.

import { api, path } from "./api.js";
import { badge, h, title } from "./dom.js";
import { tryIt } from "./tryit.js";

export async function demoPage(view, [owner, name]) {
  let demo;
  try {
    demo = await api(`/v1/demos/${path(owner, name)}`);
  } catch (e) {
    if (e.status !== 404) throw e;
    view.append(h("section", { class: "page narrow" }, title("Demo not found"), h("p", {}, `${owner}/${name} has no public demo page.`)));
    return;
  }
  const io = { input: "json", output: "json", ...demo.interface };
  const panel = h("div", { class: "card" });
  tryIt(panel, { ref: path(demo.owner, demo.name), ...io, sample: demo.sample_input });
  view.append(
    h(
      "section",
      { class: "page demo" },
      h("div", { class: "page-head" }, title(`${demo.owner}/${demo.name}`), h("div", { class: "badges" }, demo.version ? badge(demo.version, "accent") : null, badge(`${io.input} → ${io.output}`))),
      demo.summary ? h("p", { class: "lead", id: "demo-summary" }, demo.summary) : null,
      panel,
      h("p", { class: "muted small footer-note" }, "Served by modelport. Calls from this page are rate-limited."),
    ),
  );
}
