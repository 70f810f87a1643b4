// The library: filters kept in the URL, dense rows (or cards), more pages as you scroll.

import { api, ApiError, query } from "./api.js";
import { sampleCard, sampleRow } from "./card.js";
import { h, replace } from "./dom.js";
import { filterForm, filtersFrom, rangeProblem } from "./filters.js";
import { onProjectChange } from "./match.js";
import { player } from "./player.js";

const PAGE_SIZE = 24;
const MAX_PAGE = 100; // the API's largest page: enough rows to come back to a long scroll
const TYPING_DELAY_MS = 250;
const VIEW_KEY = "cratedig.view";
const SCROLL_SAVE_MS = 150;

/** What a failed listing means, in words (the API's text is for programs). */
function humanMessage(error) {
  if (error instanceof ApiError && error.status === 422 && error.field?.startsWith("bpm")) return "That tempo range does not work: a tempo is between 0 and 1000 BPM and the lowest must not be above the highest.";
  if (error instanceof ApiError && error.status === 422) return `That filter does not work (${error.field || "filters"}): change it and try again.`;
  if (error instanceof ApiError && error.status === 0) return error.message;
  return "Could not load samples. Try again in a moment.";
}

function viewToggle(view, onChange) {
  const group = h("div", { class: "view-toggle", role: "group", "aria-label": "View" });
  for (const [value, label] of [["list", "List"], ["grid", "Grid"]]) {
    group.append(h("button", { type: "button", "aria-pressed": String(view === value), dataset: { view: value }, onclick: () => {
      for (const b of group.children) b.setAttribute("aria-pressed", String(b.dataset.view === value));
      onChange(value);
    } }, label));
  }
  return group;
}

export function mount(main) {
  document.title = "Library · cratedig";
  let view = localStorage.getItem(VIEW_KEY) === "grid" ? "grid" : "list";
  let typingTimer = 0;
  const filters = filterForm((immediately) => {
    clearTimeout(typingTimer);
    if (immediately) apply();
    else typingTimer = setTimeout(apply, TYPING_DELAY_MS);
  });
  const status = h("p", { class: "result-status", role: "status" });
  const list = h("ul", { class: view === "grid" ? "grid" : "rows", "aria-label": "Samples" });
  const more = h("button", { type: "button", class: "button secondary load-more", hidden: true }, "Load more samples");
  const toolbar = h("div", { class: "list-toolbar" }, status, viewToggle(view, (next) => {
    view = next;
    localStorage.setItem(VIEW_KEY, view);
    list.className = view === "grid" ? "grid" : "rows";
    list.replaceChildren(...samples.map(item));
  }));
  replace(main, h("h1", { class: "visually-hidden" }, "Sample library"), filters.form, toolbar, list, h("div", { class: "more" }, more));

  let samples = [];
  let cursor = null;
  let loading = null; // AbortController of the request in flight
  const item = (sample) => h("li", {}, view === "grid" ? sampleCard(sample) : sampleRow(sample));

  function showProblem(message) {
    filters.problem.textContent = message || "";
    for (const name of ["bpm_min", "bpm_max"]) {
      const control = filters.form.elements.namedItem(name);
      if (message) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    }
  }

  async function load(reset, restore = null) {
    const wanted = filtersFrom(location.search);
    if (reset) {
      loading?.abort();
      samples = [];
      cursor = null;
      list.replaceChildren();
      const problem = rangeProblem(wanted);
      showProblem(problem);
      if (problem) {
        status.textContent = "";
        return;
      }
      list.setAttribute("aria-busy", "true");
    } else if (loading || !cursor) {
      return;
    }
    const controller = new AbortController();
    loading = controller;
    more.hidden = true;
    status.textContent = reset ? "Loading samples…" : "Loading more samples…";
    status.classList.remove("error");
    const limit = restore ? Math.min(MAX_PAGE, Math.max(PAGE_SIZE, restore.count)) : PAGE_SIZE;
    try {
      const page = await api(`/api/v1/samples${query({ ...wanted, cursor, limit })}`, { signal: controller.signal });
      if (loading !== controller) return;
      samples = samples.concat(page.items);
      cursor = page.next_cursor;
      list.append(...page.items.map(item));
      player.setQueue(samples);
      history.replaceState({ ...history.state, count: samples.length }, "");
      status.textContent = samples.length
        ? `${samples.length}${cursor ? "+" : ""} sample${samples.length === 1 ? "" : "s"}`
        : Object.keys(wanted).length
          ? "No samples match these filters."
          : "No samples yet: submit a video to start the library.";
      more.hidden = !cursor;
      if (restore) window.scrollTo(0, restore.scroll);
      if (cursor) {
        observer.unobserve(sentinel); // still in view after this page: observe afresh
        observer.observe(sentinel);
      }
    } catch (error) {
      if (error.name === "AbortError") return;
      status.textContent = humanMessage(error);
      status.classList.add("error");
      if (error.field?.startsWith("bpm")) showProblem(status.textContent);
      if (cursor) more.hidden = false;
    } finally {
      if (loading === controller) loading = null;
      list.removeAttribute("aria-busy");
    }
  }

  /** Apply the form: the URL changes (a history entry), then the list reloads. */
  function apply() {
    clearTimeout(typingTimer);
    const kept = new URLSearchParams(location.search);
    const search = new URLSearchParams(query(filters.read()));
    for (const [name, value] of kept) if (name.startsWith("project_") || name === "max_stretch") search.set(name, value);
    const text = search.toString() ? `?${search}` : "";
    if (text === location.search) return;
    history.pushState(null, "", `/${text}${location.hash}`);
    load(true);
  }

  more.addEventListener("click", () => load(false));
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) load(false);
  }, { rootMargin: "600px 0px" });
  const sentinel = more.parentElement;
  observer.observe(sentinel);

  let scrollTimer = 0;
  const onScroll = () => {
    clearTimeout(scrollTimer);
    scrollTimer = setTimeout(() => history.replaceState({ ...history.state, scroll: window.scrollY }, ""), SCROLL_SAVE_MS);
  };
  window.addEventListener("scroll", onScroll, { passive: true });
  const onMoved = (event) => list.querySelector(`[data-sample-id="${event.detail.id}"]`)?.scrollIntoView({ block: "nearest", behavior: "smooth" });
  player.addEventListener("moved", onMoved);
  const offProject = onProjectChange(() => list.replaceChildren(...samples.map(item))); // new ratios

  api("/api/v1/tags/popular?limit=12").then((popular) => filters.showTags(popular), () => {});
  filters.write(filtersFrom(location.search));
  const saved = history.state;
  load(true, saved && saved.scroll > 0 ? { scroll: saved.scroll, count: saved.count || PAGE_SIZE } : null);
  (window.requestIdleCallback || setTimeout)(() => player.warm());

  return {
    /** The URL changed within the library (back/forward, a tag link): show its filters. */
    update() {
      filters.write(filtersFrom(location.search));
      load(true);
    },
    unmount() {
      loading?.abort();
      clearTimeout(typingTimer);
      clearTimeout(scrollTimer);
      observer.disconnect();
      window.removeEventListener("scroll", onScroll);
      player.removeEventListener("moved", onMoved);
      offProject();
    },
  };
}
