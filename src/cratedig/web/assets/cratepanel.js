// The crate's side panel: reorder (drag or buttons), remove, download as one ZIP, share.

import { api, ApiError } from "./api.js";
import { crate } from "./crate.js";
import { announce, h, icon, ICONS, replace } from "./dom.js";
import { bpm, keyLabel, title } from "./format.js";
import { onProjectChange, project, projectDownload } from "./match.js";

const BARS = [["", "whole samples"], ["1", "1-bar loops"], ["2", "2-bar loops"], ["4", "4-bar loops"], ["8", "8-bar loops"]];

/** The body of `POST /api/v1/crates/download` for the crate and the chosen options. */
export function crateRequest(matched, bars) {
  const body = { ids: crate.ids, format: "wav" };
  if (matched) Object.assign(body, projectDownload());
  if (bars) body.bars = Number(bars);
  return body;
}

async function downloadZip(body) {
  const response = await fetch("/api/v1/crates/download", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/zip, application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    let message = `The server answered ${response.status}.`;
    try {
      message = (await response.json()).error.message;
    } catch {
      // not the API's JSON error: the status says enough
    }
    throw new ApiError(response.status, "crate_download", message);
  }
  const blob = await response.blob();
  const link = h("a", { href: URL.createObjectURL(blob), download: "cratedig-crate.zip", hidden: true });
  document.body.append(link);
  link.click();
  setTimeout(() => {
    URL.revokeObjectURL(link.href);
    link.remove();
  }, 1000);
  return blob.size;
}

export function mountCratePanel(panel, toggle) {
  const list = h("ol", { class: "crate-list", "aria-label": "Samples in the crate" });
  const empty = h("p", { class: "muted" }, "Empty. Add samples with the crate button on any row.");
  const matched = h("input", { id: "crate-matched", type: "checkbox" });
  const bars = h("select", { id: "crate-bars" }, BARS.map(([value, text]) => h("option", { value }, text)));
  const download = h("button", { type: "button", class: "button" }, icon(ICONS.download), "Download crate");
  const share = h("input", { id: "crate-link", type: "text", readonly: true, "aria-label": "Link to this crate" });
  const message = h("p", { class: "crate-message", role: "status" });
  const close = h("button", { type: "button", class: "icon-button", "aria-label": "Close the crate" }, icon(ICONS.close));
  replace(
    panel,
    h("div", { class: "crate-head" }, h("h2", { id: "crate-title" }, "Crate"), close),
    empty,
    list,
    h("div", { class: "crate-options" },
      h("div", { class: "field-check" }, matched, h("label", { for: "crate-matched" }, "Matched to the project")),
      h("div", { class: "field" }, h("label", { for: "crate-bars" }, "Cut"), bars),
    ),
    download,
    h("div", { class: "field" }, h("label", { for: "crate-link" }, "Share"), share),
    message,
  );
  let dragged = null;

  function item(entry, index) {
    const up = h("button", { type: "button", class: "icon-button small", "aria-label": `Move ${title(entry)} up`, disabled: index === 0, onclick: () => crate.move(entry.id, -1) }, icon(ICONS.up));
    const down = h("button", { type: "button", class: "icon-button small", "aria-label": `Move ${title(entry)} down`, disabled: index === crate.items.length - 1, onclick: () => crate.move(entry.id, 1) }, icon(ICONS.down));
    const remove = h("button", { type: "button", class: "icon-button small", "aria-label": `Remove ${title(entry)} from the crate`, onclick: () => crate.remove(entry.id) }, icon(ICONS.close));
    const li = h(
      "li",
      { draggable: "true", dataset: { crateItem: entry.id } },
      h("span", { class: "crate-name" }, h("a", { href: `/samples/${entry.id}` }, title(entry)), h("small", { class: "muted" }, [bpm(entry.bpm), keyLabel(entry.key, entry.scale)].filter(Boolean).join(" · "))),
      up,
      down,
      remove,
    );
    li.addEventListener("dragstart", (event) => {
      dragged = entry.id;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", entry.id);
    });
    li.addEventListener("dragover", (event) => event.preventDefault());
    li.addEventListener("drop", (event) => {
      event.preventDefault();
      if (dragged) crate.place(dragged, entry.id);
      dragged = null;
    });
    return li;
  }

  function render() {
    const count = crate.items.length;
    toggle.querySelector(".crate-count").textContent = String(count);
    empty.hidden = count > 0;
    download.disabled = count === 0;
    matched.disabled = !project.active;
    if (!project.active) matched.checked = false;
    share.value = count ? crate.shareUrl() : "";
    replace(list, crate.items.map(item));
  }

  function setOpen(open) {
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    document.body.classList.toggle("crate-open", open);
    if (open) render();
  }

  toggle.addEventListener("click", () => setOpen(panel.hidden));
  close.addEventListener("click", () => setOpen(false));
  share.addEventListener("focus", () => share.select());
  download.addEventListener("click", async () => {
    download.disabled = true;
    message.textContent = `Preparing ${crate.items.length} samples…`;
    try {
      const size = await downloadZip(crateRequest(matched.checked, bars.value));
      message.textContent = `Downloaded the crate (${(size / 1e6).toFixed(1)} MB).`;
    } catch (error) {
      message.textContent = `Could not download the crate: ${error.message}`;
    } finally {
      download.disabled = crate.items.length === 0;
    }
  });
  crate.addEventListener("change", render);
  onProjectChange(render);
  render();
  crate.importFromHash((id) => api(`/api/v1/samples/${encodeURIComponent(id)}`)).then((added) => {
    if (!added) return;
    announce(`${added} shared sample${added === 1 ? "" : "s"} added to the crate.`);
    setOpen(true);
  });
  return { open: () => setOpen(true) };
}
