// /ui/: the algorithms the caller can see, searchable, and the readable collections.

import { api, path } from "./api.js";
import { badge, h, millis, table, title } from "./dom.js";

function row(algorithm) {
  const ref = `${algorithm.owner}/${algorithm.name}`;
  const version = algorithm.version_info?.semantic_version;
  const callability = version ? algorithm.settings?.algorithm_callability || "private" : null;
  const stats = algorithm.stats || {};
  const summary = algorithm.details?.summary || "";
  const tr = h(
    "tr",
    { "data-testid": "algo-row", "data-ref": ref },
    h(
      "td",
      {},
      h("a", { href: `/ui/algorithms/${path(algorithm.owner, algorithm.name)}`, class: "strong" }, ref),
      summary ? h("div", { class: "muted small" }, summary) : null,
    ),
    h("td", {}, version ? h("code", {}, version) : badge(algorithm.build ? "unpublished" : "no build", "neutral")),
    h("td", {}, callability ? badge(callability, callability === "public" ? "ok" : "neutral") : "–"),
    h("td", { class: "num col-optional" }, String(stats.calls ?? 0)),
    h("td", { class: "num col-optional" }, millis(stats.p50_ms)),
  );
  tr.dataset.search = `${ref} ${summary}`.toLowerCase();
  return tr;
}

async function collections() {
  const namespaces = (await api("/v1/data/")).folders || [];
  const lists = await Promise.all(
    namespaces.map(async ({ name }) => ((await api(`/v1/data/${path(name)}`)).folders || []).map((c) => [name, c.name])),
  );
  return lists.flat();
}

export async function algorithmsPage(view) {
  const [{ results }, readable] = await Promise.all([api("/v1/algorithms"), collections().catch(() => [])]);
  const rows = results.map(row);
  const empty = h("p", { class: "muted", id: "algo-empty", hidden: rows.length > 0 }, "No algorithms yet: deploy one with modelport deploy.");
  const search = h("input", { id: "algo-search", type: "search", placeholder: "Filter by owner, name or summary", autocomplete: "off" });
  search.addEventListener("input", () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const tr of rows) {
      tr.hidden = !words.every((word) => tr.dataset.search.includes(word));
      shown += tr.hidden ? 0 : 1;
    }
    empty.textContent = "No algorithm matches.";
    empty.hidden = shown > 0;
  });
  const headings = ["Algorithm", "Version", "Access", ["Calls (1 h)", "num col-optional"], ["p50 latency", "num col-optional"]];
  view.append(
    h(
      "section",
      { class: "page" },
      h("div", { class: "page-head" }, title("Algorithms"), h("span", { class: "muted" }, `${results.length} visible to you`)),
      h("div", { class: "field search" }, h("label", { for: "algo-search", class: "sr-only" }, "Search algorithms"), search),
      table(headings, rows, { id: "algo-table", class: "table" }),
      empty,
      h("h2", {}, "Collections"),
      readable.length
        ? h(
            "ul",
            { class: "chips", id: "collections" },
            readable.map(([owner, name]) => h("li", {}, h("a", { href: `/ui/data/${path(owner, name)}` }, `${owner}/${name}`))),
          )
        : h("p", { class: "muted" }, "No collections yet. ", h("a", { href: "/ui/data" }, "Create one")),
    ),
  );
}
