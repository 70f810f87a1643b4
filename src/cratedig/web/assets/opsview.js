// How the operations page reads: an operation's shown progress, and its sections as tabs.

import { h } from "./dom.js";

/**
 * What a card shows, as the command line's `--follow` reads it: a reprocess is finished when
 * the pipelines it queued have ended, not when its run queued them.
 */
export function shownProgress(op) {
  if (op.pipeline) {
    const p = op.pipeline;
    const finished = p.completed + p.failed + (p.superseded || 0);
    const total = op.items.queued + (op.items.pending || 0);
    if (op.status !== "running" && finished < total) {
      return { state: "pipelines", label: `pipelines running (${finished} of ${total})`, finished, total };
    }
    return { state: op.status, label: op.status, finished, total };
  }
  const total = op.items.total;
  return { state: op.status, label: op.status, finished: total - (op.items.pending || 0), total };
}

const TAB_KEY = "cratedig.operationsTab";

/** Sections as tabs (one shown at a time); the chosen one is remembered for the tab's life. */
export function tabbed(sections) {
  const chosen = sessionStorage.getItem(TAB_KEY) || sections[0][0];
  const bar = h("div", { class: "tabs", role: "tablist", "aria-label": "Sections" });
  const panels = [];
  for (const [id, label, content] of sections) {
    const tab = h("button", { type: "button", role: "tab", id: `tab-${id}`, "aria-controls": `panel-${id}`, "aria-selected": String(id === chosen) }, label);
    const panel = h("div", { role: "tabpanel", id: `panel-${id}`, "aria-labelledby": `tab-${id}`, hidden: id !== chosen }, content);
    tab.addEventListener("click", () => {
      sessionStorage.setItem(TAB_KEY, id);
      for (const other of bar.children) other.setAttribute("aria-selected", String(other === tab));
      for (const other of panels) other.hidden = other !== panel;
    });
    bar.append(tab);
    panels.push(panel);
  }
  return { bar, panels, show: (id) => bar.querySelector(`#tab-${id}`)?.click() };
}
