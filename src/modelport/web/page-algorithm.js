// /ui/algorithms/OWNER/NAME: overview (README, input and output), try it, versions and
// builds, API snippets, and (for managers) publishing and the public demo page.

import { api, can, path } from "./api.js";
import { badge, codeBlock, copyButton, date, errorBox, h, seconds, shortHash, statusBadge, table, tabs, title } from "./dom.js";
import { renderMarkdown } from "./markdown.js";
import { snippets } from "./snippets.js";
import { tryIt } from "./tryit.js";

let flash = null; // a message for the next render of the publish tab: {ref, text}

function pretty(value) {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

function overview(algorithm, readme, io) {
  const info = algorithm.version_info || {};
  const samples = [];
  if (info.sample_input !== undefined && info.sample_input !== null) {
    samples.push(h("h3", {}, "Sample input"), h("pre", { class: "json", id: "sample-input" }, pretty(info.sample_input)));
  }
  if (info.sample_output !== undefined && info.sample_output !== null) {
    samples.push(h("h3", {}, "Sample output"), h("pre", { class: "json", id: "sample-output" }, pretty(info.sample_output)));
  }
  const prose = h("div", { class: "prose", id: "readme" });
  if (readme) prose.innerHTML = renderMarkdown(readme); // escaped by renderMarkdown
  else prose.append(h("p", { class: "muted" }, "This algorithm has no README."));
  return h(
    "div",
    { class: "split" },
    prose,
    h(
      "aside",
      { class: "card side" },
      h("h2", {}, "Input and output"),
      h("dl", { class: "facts" }, h("dt", {}, "Input"), h("dd", {}, io.input), h("dt", {}, "Output"), h("dd", {}, io.output)),
      samples,
    ),
  );
}

function logsRow(base, build) {
  const pre = h("pre", { class: "logs" }, "Loading…");
  const tr = h("tr", { class: "logs-row", hidden: true, id: `logs-${build.commit_sha}` }, h("td", { colspan: 5 }, pre));
  let loaded = false;
  const button = h("button", { type: "button", class: "btn btn-small", "aria-expanded": "false", "aria-controls": tr.id }, "Logs");
  button.addEventListener("click", async () => {
    const open = tr.hidden;
    tr.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open && !loaded) {
      loaded = true;
      try {
        pre.textContent = (await api(`${base}/builds/${build.commit_sha}/logs`)).logs || "(no output)";
      } catch (e) {
        pre.textContent = e.message;
        loaded = false;
      }
    }
  });
  return [button, tr];
}

function versionsSection(versions) {
  const rows = versions.map((v) => {
    const info = v.version_info || {};
    return h(
      "tr",
      { "data-testid": "version-row" },
      h("td", {}, h("code", {}, info.semantic_version || "–")),
      h("td", {}, statusBadge(info.callability || "private")),
      h("td", {}, date(info.published_at)),
      h("td", {}, h("code", { title: info.git_hash }, shortHash(info.git_hash))),
      h("td", { class: "col-optional" }, info.release_notes || ""),
    );
  });
  return [
    h("h2", {}, "Versions"),
    rows.length
      ? table(["Version", "Access", "Published", "Build", ["Release notes", "col-optional"]], rows, { class: "table", id: "versions-table" })
      : h("p", { class: "muted" }, "Nothing published yet."),
  ];
}

/** The builds table; null for callers who may not see builds (not the algorithm's managers). */
function buildsSection(base, builds) {
  if (builds === null) return null;
  const rows = builds.flatMap((b) => {
    const [button, logs] = logsRow(base, b);
    const row = h(
      "tr",
      { "data-testid": "build-row" },
      h("td", {}, statusBadge(b.status)),
      h("td", {}, h("code", { title: b.commit_sha }, shortHash(b.commit_sha))),
      h("td", { class: "col-optional" }, date(b.started_at)),
      h("td", {}, seconds(b.duration)),
      h("td", {}, button),
    );
    return [row, logs];
  });
  const headings = ["Status", "Build", ["Started", "col-optional"], "Duration", h("span", { class: "sr-only" }, "Logs")];
  return [
    h("h2", {}, "Builds"),
    rows.length ? table(headings, rows, { class: "table", id: "builds-table" }) : h("p", { class: "muted" }, "No builds yet."),
  ];
}

function apiSnippets(ref, io, sample) {
  return [
    h("p", {}, "Call this algorithm from anywhere with an ", h("a", { href: "/ui/keys" }, "API key"), "."),
    snippets({ ref, input: io.input, sample }).map(({ id, label, code }) =>
      h("section", { class: "snippet" }, h("h3", {}, label), codeBlock(code, { id: `snippet-${id}`, "data-label": `${label} snippet` })),
    ),
  ];
}

function publishForm(base, algorithm, render) {
  const error = errorBox("publish-error");
  const result = h("p", { id: "publish-result", class: "success", "aria-live": "polite" });
  const ref = `${algorithm.owner}/${algorithm.name}`;
  if (flash?.ref === ref) result.textContent = flash.text;
  flash = null;
  const callability = algorithm.version_info?.callability || "public";
  const submit = h("button", { type: "submit", class: "btn btn-primary", id: "publish-submit" }, "Publish");
  const form = h(
    "form",
    { class: "stack", id: "publish-form" },
    h(
      "div",
      { class: "row" },
      h(
        "div",
        { class: "field" },
        h("label", { for: "publish-bump" }, "Version bump"),
        h("select", { id: "publish-bump" }, ["minor", "major", "revision"].map((v) => h("option", { value: v }, v))),
      ),
      h(
        "div",
        { class: "field" },
        h("label", { for: "publish-callability" }, "Access"),
        h(
          "select",
          { id: "publish-callability" },
          ["public", "private"].map((v) => h("option", { value: v, selected: v === callability }, v)),
        ),
      ),
    ),
    h("div", { class: "field" }, h("label", { for: "publish-notes" }, "Release notes"), h("textarea", { id: "publish-notes", rows: 3 })),
    h("div", { class: "actions" }, submit),
    error.element,
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.clear();
    result.textContent = "";
    submit.disabled = true;
    submit.textContent = "Publishing…";
    try {
      const published = await api(`${base}/versions`, {
        method: "POST",
        json: {
          version_info: { version_type: form.querySelector("#publish-bump").value, release_notes: form.querySelector("#publish-notes").value },
          settings: { algorithm_callability: form.querySelector("#publish-callability").value },
        },
      });
      flash = { ref, text: `Published ${published.version_info.semantic_version}.` };
      render();
    } catch (e) {
      error.show(e.message);
      submit.disabled = false;
      submit.textContent = "Publish";
    }
  });
  return form;
}

function demoSettings(base, algorithm) {
  const link = `/demo/${path(algorithm.owner, algorithm.name)}`;
  const isPublic = algorithm.version_info?.callability === "public";
  const error = errorBox("demo-error");
  const toggle = h("input", { type: "checkbox", id: "demo-toggle", checked: Boolean(algorithm.settings?.demo), disabled: !isPublic });
  const share = h(
    "div",
    { class: "share", id: "demo-share", hidden: !algorithm.settings?.demo },
    h("a", { href: link, id: "demo-link", target: "_blank", rel: "noopener" }, `${location.origin}${link}`),
    copyButton(() => `${location.origin}${link}`, "Copy link", { id: "demo-copy" }),
  );
  toggle.addEventListener("change", async () => {
    error.clear();
    toggle.disabled = true;
    try {
      const updated = await api(base, { method: "PUT", json: { settings: { demo: toggle.checked } } });
      toggle.checked = Boolean(updated.settings?.demo);
    } catch (e) {
      toggle.checked = !toggle.checked;
      error.show(e.message);
    }
    toggle.disabled = false;
    share.hidden = !toggle.checked;
  });
  return h(
    "section",
    { class: "card" },
    h("h2", {}, "Public demo page"),
    h("div", { class: "check" }, toggle, h("label", { for: "demo-toggle" }, "Anyone with the link can try this algorithm, without signing in")),
    isPublic ? null : h("p", { class: "muted small" }, "Publish a public version first."),
    error.element,
    share,
  );
}

export async function algorithmPage(view, [owner, name], { navigate }) {
  const base = `/v1/algorithms/${path(owner, name)}`;
  // missing (404) or, for builds, only for the algorithm's managers (403)
  const optional = (promise, fallback) => promise.catch((e) => ([403, 404].includes(e.status) ? fallback : Promise.reject(e)));
  const [algorithm, versions, builds, readme] = await Promise.all([
    api(base),
    optional(api(`${base}/versions`), { results: [] }).then((r) => r.results),
    optional(api(`${base}/builds`), { results: null }).then((r) => r.results),
    optional(api(`${base}/readme`), null),
  ]);
  const manager = builds !== null && can("algo:manage");
  const io = { input: "json", output: "json", ...algorithm.interface };
  const info = algorithm.version_info || {};
  const latest = versions[0]?.version_info?.semantic_version;
  const succeeded = builds?.find((b) => b.status === "succeeded")?.commit_sha;
  const version = latest || succeeded; // owners may call an unpublished build by its hash
  const ref = `${owner}/${name}`;
  const callRef = version ? `${ref}/${version}` : ref;
  const render = () => navigate(`${location.pathname}#publish`, { replace: true });

  const tryPanel = h("div", {});
  if (version) tryIt(tryPanel, { ref: callRef, ...io, sample: info.sample_input });
  else tryPanel.append(h("p", { class: "muted" }, "There is no successful build to call yet."));
  if (version && !latest) tryPanel.prepend(h("p", { class: "muted small" }, `Calling the unpublished build ${shortHash(version)}.`));

  const items = [
    { id: "overview", label: "Overview", panel: overview(algorithm, readme, io) },
    { id: "try", label: "Try it", panel: tryPanel },
    { id: "versions", label: "Versions & builds", panel: [versionsSection(versions), buildsSection(base, builds)] },
    { id: "api", label: "API", panel: apiSnippets(callRef, io, info.sample_input) },
  ];
  if (manager) {
    items.push({ id: "publish", label: "Publish", panel: [h("section", { class: "card" }, h("h2", {}, "Publish a version"), publishForm(base, algorithm, render)), demoSettings(base, algorithm)] });
  }
  const callability = latest ? info.callability || algorithm.settings?.algorithm_callability : null;
  view.append(
    h(
      "section",
      { class: "page" },
      h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "/ui/" }, "Algorithms"), " / ", owner),
      h(
        "div",
        { class: "page-head" },
        title(ref),
        h("div", { class: "badges" }, latest ? badge(latest, "accent") : badge("unpublished"), callability ? statusBadge(callability) : null, badge(`${io.input} → ${io.output}`)),
      ),
      h("p", { class: "lead", id: "algo-summary" }, algorithm.details?.summary || ""),
      tabs(items, "Algorithm sections"),
    ),
  );
}
