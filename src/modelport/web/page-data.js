// /ui/data: collections; /ui/data/OWNER/COLLECTION[/path]: a folder, its files, uploads
// with progress, new folders, deletes and (at a collection's root) the read ACL.

import { api, path, session, upload } from "./api.js";
import { bytes, confirmDialog, date, errorBox, h, table, title } from "./dom.js";

const ACLS = [
  ["private", "Private (only you)", []],
  ["my-algorithms", "You and your algorithms", ["algo://.my/*"]],
  ["public", "Public (anyone with a key)", ["user://*"]],
];

function aclName(read) {
  const found = ACLS.find(([, , values]) => JSON.stringify(values) === JSON.stringify(read || []));
  return found ? found[0] : null;
}

function aclSelect(id, chosen) {
  return h(
    "select",
    { id },
    ACLS.map(([value, label]) => h("option", { value, selected: value === chosen }, label)),
  );
}

function aclRead(name) {
  return ACLS.find(([value]) => value === name)[2];
}

function dataUrl(segments) {
  return `/v1/data/${path(...segments)}`;
}

async function collectionsPage(view, navigate) {
  const namespaces = ((await api("/v1/data/")).folders || []).map((f) => f.name);
  const lists = await Promise.all(namespaces.map(async (owner) => [owner, (await api(dataUrl([owner]))).folders || []]));
  const mine = session().account.name;
  const error = errorBox("collection-error");
  const owners = namespaces.includes(mine) ? namespaces : [mine, ...namespaces];
  const form = h(
    "form",
    { class: "row wrap", id: "collection-form" },
    h("div", { class: "field" }, h("label", { for: "collection-owner" }, "Owner"), h("select", { id: "collection-owner" }, owners.map((o) => h("option", { value: o, selected: o === mine }, o)))),
    h("div", { class: "field grow" }, h("label", { for: "collection-name" }, "Name"), h("input", { id: "collection-name", required: true, pattern: "[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}", autocomplete: "off" })),
    h("div", { class: "field" }, h("label", { for: "collection-acl" }, "Who can read"), aclSelect("collection-acl", "my-algorithms")),
    h("div", { class: "field end" }, h("button", { type: "submit", class: "btn btn-primary", id: "collection-create" }, "Create")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.clear();
    const owner = form.querySelector("#collection-owner").value;
    const name = form.querySelector("#collection-name").value.trim();
    try {
      await api(dataUrl([owner]), { method: "POST", json: { name, acl: { read: aclRead(form.querySelector("#collection-acl").value) } } });
      navigate(`/ui/data/${path(owner, name)}`);
    } catch (e) {
      error.show(e.message);
    }
  });
  const rows = lists.flatMap(([owner, folders]) =>
    folders.map((f) => h("tr", { "data-testid": "collection-row" }, h("td", {}, h("a", { href: `/ui/data/${path(owner, f.name)}` }, `${owner}/${f.name}`)), h("td", {}, owner))),
  );
  view.append(
    h(
      "section",
      { class: "page" },
      title("Data"),
      h("p", { class: "muted" }, "Collections hold model files and data that algorithms read as data://owner/collection/file."),
      rows.length ? table(["Collection", "Owner"], rows, { class: "table", id: "collections-table" }) : h("p", { class: "muted" }, "No collections yet."),
      h("section", { class: "card" }, h("h2", {}, "New collection"), form, error.element),
    ),
  );
}

function uploader(segments, refresh) {
  const status = h("p", { id: "upload-status", class: "muted small", "aria-live": "polite" });
  const progress = h("progress", { id: "upload-progress", max: 100, value: 0, hidden: true, "aria-label": "Upload progress" });
  const chooser = h("input", { id: "upload-file", type: "file", multiple: true });
  const start = h("button", { type: "submit", class: "btn btn-primary", id: "upload-start" }, "Upload");
  const error = errorBox("upload-error");
  const form = h(
    "form",
    { class: "stack", id: "upload-form" },
    h("div", { class: "field" }, h("label", { for: "upload-file" }, "Files to upload"), chooser),
    h("div", { class: "actions" }, start),
    progress,
    status,
    error.element,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.clear();
    const files = [...chooser.files];
    if (!files.length) {
      error.show("Choose a file first.");
      return;
    }
    start.disabled = true;
    progress.hidden = false;
    try {
      for (const file of files) {
        status.textContent = `Uploading ${file.name}…`;
        await upload(dataUrl([...segments, file.name]), file, (loaded, total) => {
          progress.value = total ? Math.round((loaded / total) * 100) : 0;
        });
      }
      progress.value = 100;
      status.textContent = `Uploaded ${files.map((f) => f.name).join(", ")}.`;
      chooser.value = "";
      await refresh();
    } catch (e) {
      status.textContent = "";
      error.show(e.message);
    } finally {
      start.disabled = false;
    }
  });
  return form;
}

function newFolder(segments, navigate) {
  const error = errorBox("folder-error");
  const form = h(
    "form",
    { class: "row wrap", id: "folder-form" },
    h("div", { class: "field grow" }, h("label", { for: "folder-name" }, "New folder"), h("input", { id: "folder-name", required: true, autocomplete: "off" })),
    h("div", { class: "field end" }, h("button", { type: "submit", class: "btn", id: "folder-create" }, "Create folder")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.clear();
    const name = form.querySelector("#folder-name").value.trim();
    try {
      await api(dataUrl(segments), { method: "POST", json: { name } });
      navigate(`/ui/data/${path(...segments, name)}`);
    } catch (e) {
      error.show(e.message);
    }
  });
  return [form, error.element];
}

function aclControl(segments, read) {
  const status = h("span", { id: "acl-status", class: "muted small", "aria-live": "polite" });
  const error = errorBox("acl-error");
  const form = h(
    "form",
    { class: "row wrap", id: "acl-form" },
    h("div", { class: "field grow" }, h("label", { for: "acl-select" }, "Who can read this collection"), aclSelect("acl-select", aclName(read))),
    h("div", { class: "field end" }, h("button", { type: "submit", class: "btn", id: "acl-save" }, "Save")),
    h("div", { class: "field end" }, status),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.clear();
    status.textContent = "";
    try {
      await api(dataUrl(segments), { method: "PATCH", json: { acl: { read: aclRead(form.querySelector("#acl-select").value) } } });
      status.textContent = "Saved.";
    } catch (e) {
      error.show(e.message);
    }
  });
  return [form, error.element];
}

async function folderPage(view, segments, navigate) {
  const atRoot = segments.length === 2;
  const base = dataUrl(segments);
  const first = await api(atRoot ? `${base}?acl=true` : base);
  const headings = ["Name", ["Size", "num"], ["Modified", "col-optional"], h("span", { class: "sr-only" }, "Actions")];
  const listing = table(headings, [], { class: "table", id: "files-table" });
  const tbody = listing.querySelector("tbody");
  const more = h("button", { type: "button", class: "btn", id: "load-more", hidden: true }, "Load more");
  const empty = h("p", { class: "muted", id: "folder-empty", hidden: true }, "This folder is empty.");
  let marker = null;

  const fileRow = (file) => {
    const remove = h("button", { type: "button", class: "btn btn-small btn-danger-quiet", "aria-label": `Delete ${file.filename}` }, "Delete");
    const tr = h(
      "tr",
      { "data-testid": "file-row", "data-name": file.filename },
      h("td", {}, h("a", { href: dataUrl([...segments, file.filename]), download: file.filename }, file.filename)),
      h("td", { class: "num", "data-testid": "file-size", "data-bytes": file.size }, bytes(file.size)),
      h("td", { class: "col-optional" }, date(file.last_modified)),
      h("td", { class: "num" }, remove),
    );
    remove.addEventListener("click", async () => {
      if (!(await confirmDialog(`Delete ${file.filename}? This cannot be undone.`, "Delete"))) return;
      await api(dataUrl([...segments, file.filename]), { method: "DELETE" });
      tr.remove();
      empty.hidden = tbody.children.length > 0;
    });
    return tr;
  };
  const folderRow = (folder) =>
    h(
      "tr",
      { "data-testid": "folder-row" },
      h("td", {}, h("a", { href: `/ui/data/${path(...segments, folder.name)}`, class: "folder" }, `${folder.name}/`)),
      h("td", { class: "num" }, "–"),
      h("td", { class: "col-optional" }),
      h("td", {}),
    );
  const show = (answer, append) => {
    const rows = [...(answer.folders || []).map(folderRow), ...(answer.files || []).map(fileRow)];
    if (append) tbody.append(...rows);
    else tbody.replaceChildren(...rows);
    marker = answer.marker || null;
    more.hidden = !marker;
    empty.hidden = tbody.children.length > 0;
  };
  more.addEventListener("click", async () => show(await api(`${base}?marker=${encodeURIComponent(marker)}`), true));
  show(first, false);
  const refresh = async () => show(await api(base), false);

  const crumbs = [h("a", { href: "/ui/data" }, "Data")];
  segments.forEach((segment, i) => {
    crumbs.push(" / ");
    crumbs.push(i === segments.length - 1 ? h("span", { "aria-current": "page" }, segment) : i === 0 ? segment : h("a", { href: `/ui/data/${path(...segments.slice(0, i + 1))}` }, segment));
  });
  view.append(
    h(
      "section",
      { class: "page" },
      h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, crumbs),
      title(segments.slice(1).join("/")),
      h("p", { class: "muted mono small", id: "data-uri" }, `data://${segments.join("/")}`),
      h(
        "div",
        { class: "split" },
        h(
          "div",
          {},
          listing,
          empty,
          more,
        ),
        h(
          "aside",
          { class: "side stack" },
          h("section", { class: "card" }, h("h2", {}, "Upload"), uploader(segments, refresh)),
          h("section", { class: "card" }, newFolder(segments, navigate)),
          atRoot ? h("section", { class: "card" }, h("h2", {}, "Access"), aclControl(segments, first.acl?.read)) : null,
        ),
      ),
    ),
  );
}

export async function dataPage(view, [rest], { navigate }) {
  const segments = rest.split("/").filter(Boolean);
  if (segments.length === 0) return collectionsPage(view, navigate);
  if (segments.length === 1) return navigate("/ui/data", { replace: true });
  return folderPage(view, segments, navigate);
}
