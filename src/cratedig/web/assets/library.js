// The library: filters kept in the URL, a grid of samples, more pages as you scroll.

import { api, ApiError, query } from "./api.js";
import { sampleCard } from "./card.js";
import { h, replace } from "./dom.js";
import { KEYS } from "./format.js";
import { player } from "./player.js";

const PAGE_SIZE = 24;
const FILTERS = ["q", "bpm_min", "bpm_max", "key", "scale", "compatible", "tags", "creator", "sort"];
const SORTS = [
  ["newest", "Newest"],
  ["oldest", "Oldest"],
  ["popular", "Most popular"],
  ["bpm_asc", "BPM, slowest first"],
  ["bpm_desc", "BPM, fastest first"],
];
const TYPING_DELAY_MS = 350;

/** The filters a URL carries (only known, non-empty ones). */
export function filtersFrom(search) {
  const params = new URLSearchParams(search);
  const filters = {};
  for (const name of FILTERS) {
    const value = params.get(name);
    if (value !== null && value !== "") filters[name] = value;
  }
  return filters;
}

function field(label, control, hint = null) {
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hint);
}

function buildForm() {
  const input = (name, attrs) => h("input", { id: `f-${name}`, name, ...attrs });
  const select = (name, options) =>
    h(
      "select",
      { id: `f-${name}`, name },
      options.map(([value, text]) => h("option", { value }, text)),
    );
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter samples" },
    h(
      "div",
      { class: "filters-main" },
      field("Search", input("q", { type: "search", placeholder: "title, tag, creator, sound…", autocomplete: "off" })),
      field("Sort", select("sort", SORTS)),
    ),
    h(
      "details",
      { class: "more-filters" },
      h("summary", {}, "More filters"),
      h(
      "div",
      { class: "filters-more" },
      field("BPM from", input("bpm_min", { type: "number", min: 0, max: 1000, step: 1, inputmode: "numeric" })),
      field("BPM to", input("bpm_max", { type: "number", min: 0, max: 1000, step: 1, inputmode: "numeric" })),
      field("Key", select("key", [["", "Any key"], ...KEYS.map((k) => [k, k])])),
      field("Scale", select("scale", [["", "Any scale"], ["major", "major"], ["minor", "minor"]])),
      h(
        "div",
        { class: "check-field" },
        h(
          "div",
          { class: "field-check" },
          h("input", { id: "f-compatible", name: "compatible", type: "checkbox", value: "true", "aria-describedby": "f-compatible-hint" }),
          h("label", { for: "f-compatible" }, "Compatible keys"),
        ),
        h("small", { id: "f-compatible-hint", class: "hint" }, "same key, relative, ±1 fifth"),
      ),
      field("Tags", input("tags", { type: "text", placeholder: "drill, lofi", autocomplete: "off" })),
      field("Creator", input("creator", { type: "text", placeholder: "@handle", autocomplete: "off" })),
      h("button", { type: "reset", class: "button secondary" }, "Clear filters"),
      ),
    ),
  );
  return form;
}

function readForm(form) {
  const data = new FormData(form);
  const filters = {};
  for (const name of FILTERS) {
    let value = (data.get(name) || "").toString().trim();
    if (name === "creator") value = value.replace(/^@/, "");
    if (name === "tags") value = value.split(",").map((t) => t.trim().replace(/^#/, "")).filter(Boolean).join(",");
    if (name === "sort" && value === "newest") value = "";
    if (value) filters[name] = value;
  }
  if (!(filters.key && filters.scale)) delete filters.compatible;
  return filters;
}

function writeForm(form, filters) {
  for (const name of FILTERS) {
    const control = form.elements.namedItem(name);
    if (!control) continue;
    if (control.type === "checkbox") control.checked = filters[name] === "true";
    else control.value = filters[name] ?? (name === "sort" ? "newest" : "");
  }
  syncCompatible(form);
  syncDisclosure(form, filters);
}

const MORE_FILTERS = ["bpm_min", "bpm_max", "key", "scale", "compatible", "tags", "creator"];
const WIDE = window.matchMedia("(min-width: 721px)");

/** The extra filters fold away on a phone, unless some are in use (then say how many). */
function syncDisclosure(form, filters) {
  const active = MORE_FILTERS.filter((name) => filters[name]).length;
  const details = form.querySelector(".more-filters");
  details.querySelector("summary").textContent = active ? `More filters (${active} in use)` : "More filters";
  if (active || WIDE.matches) details.open = true;
}

function syncCompatible(form) {
  const ready = form.elements.key.value !== "" && form.elements.scale.value !== "";
  form.elements.compatible.disabled = !ready;
}

export function mount(main) {
  document.title = "Library · cratedig";
  const form = buildForm();
  const status = h("p", { class: "result-status", role: "status" });
  const grid = h("ul", { class: "grid", "aria-label": "Samples" });
  const more = h("button", { type: "button", class: "button secondary load-more", hidden: true }, "Load more samples");
  replace(
    main,
    h("h1", { class: "visually-hidden" }, "Sample library"),
    form,
    status,
    grid,
    h("div", { class: "more" }, more),
  );

  let samples = [];
  let cursor = null;
  let loading = null; // AbortController of the request in flight
  let typingTimer = 0;

  async function load(reset) {
    const filters = filtersFrom(location.search);
    if (reset) {
      loading?.abort();
      samples = [];
      cursor = null;
      grid.replaceChildren();
      grid.setAttribute("aria-busy", "true");
      for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    } else if (loading || !cursor) {
      return;
    }
    const controller = new AbortController();
    loading = controller;
    more.hidden = true;
    status.textContent = reset ? "Loading samples…" : "Loading more samples…";
    status.classList.remove("error");
    status.removeAttribute("role");
    status.setAttribute("role", "status");
    try {
      const page = await api(`/api/v1/samples${query({ ...filters, cursor, limit: PAGE_SIZE })}`, {
        signal: controller.signal,
      });
      if (loading !== controller) return;
      samples = samples.concat(page.items);
      cursor = page.next_cursor;
      grid.append(...page.items.map((sample) => h("li", {}, sampleCard(sample))));
      player.setQueue(samples);
      status.textContent = samples.length
        ? `${samples.length}${cursor ? "+" : ""} sample${samples.length === 1 ? "" : "s"}`
        : Object.keys(filters).length
          ? "No samples match these filters."
          : "No samples yet: submit a video to start the library.";
      more.hidden = !cursor;
      if (cursor) {
        // Still in view after this page: observing afresh reports it, so the next one loads.
        observer.unobserve(sentinel);
        observer.observe(sentinel);
      }
    } catch (error) {
      if (error.name === "AbortError") return;
      status.textContent = error instanceof ApiError ? error.message : "Could not load samples.";
      status.classList.add("error");
      status.setAttribute("role", "alert");
      const bad = error.field && form.elements.namedItem(error.field);
      if (bad) bad.setAttribute("aria-invalid", "true");
      if (cursor) more.hidden = false;
    } finally {
      if (loading === controller) loading = null;
      grid.removeAttribute("aria-busy");
    }
  }

  /** Apply the form: the URL changes (a history entry), then the list reloads. */
  function apply() {
    clearTimeout(typingTimer);
    syncCompatible(form);
    const search = query(readForm(form));
    if (search === location.search || (search === "" && location.search === "")) return;
    history.pushState(null, "", `/${search}`);
    syncDisclosure(form, filtersFrom(search));
    load(true);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply();
  });
  form.addEventListener("change", (event) => {
    if (event.target.type === "search" || event.target.type === "text") return; // typed: see below
    apply();
  });
  form.addEventListener("input", (event) => {
    if (event.target.type !== "search" && event.target.type !== "text") return;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(apply, TYPING_DELAY_MS);
  });
  form.addEventListener("reset", () => setTimeout(apply, 0));
  more.addEventListener("click", () => load(false));

  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((entry) => entry.isIntersecting)) load(false);
    },
    { rootMargin: "600px 0px" },
  );
  const sentinel = more.parentElement;
  observer.observe(sentinel);

  const onMoved = (event) => {
    const card = grid.querySelector(`[data-sample-id="${event.detail.id}"]`);
    card?.scrollIntoView({ block: "nearest", behavior: "smooth" });
  };
  player.addEventListener("moved", onMoved);

  writeForm(form, filtersFrom(location.search));
  load(true);
  (window.requestIdleCallback || setTimeout)(() => player.warm());

  return {
    /** The URL changed within the library (back/forward, a tag link): show its filters. */
    update() {
      writeForm(form, filtersFrom(location.search));
      load(true);
    },
    unmount() {
      loading?.abort();
      clearTimeout(typingTimer);
      observer.disconnect();
      player.removeEventListener("moved", onMoved);
    },
  };
}
