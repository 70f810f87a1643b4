// The library's compact filter bar: search, BPM range (slider and typed), Camelot key, tags.

import { h } from "./dom.js";
import { keyLabel } from "./format.js";
import { keyWheel } from "./keywheel.js";

export const FILTERS = ["q", "bpm_min", "bpm_max", "tempo_multiples", "key", "scale", "compatible", "tags", "creator", "sort"];
const SORTS = [
  ["newest", "Newest"],
  ["oldest", "Oldest"],
  ["popular", "Most popular"],
  ["bpm_asc", "BPM ↑"],
  ["bpm_desc", "BPM ↓"],
];
const SLIDER = { min: 50, max: 200 }; // the slider's ends mean "no limit"
const TYPED = new Set(["search", "text", "number"]);

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

/** A bad BPM range in words a person reads, or null when it is fine. */
export function rangeProblem(filters) {
  const low = filters.bpm_min === undefined ? null : Number(filters.bpm_min);
  const high = filters.bpm_max === undefined ? null : Number(filters.bpm_max);
  for (const value of [low, high]) {
    if (value !== null && !(value >= 0 && value <= 1000)) return "A tempo is between 0 and 1000 BPM.";
  }
  if (low !== null && high !== null && low > high) return `The lowest tempo (${low} BPM) is above the highest (${high} BPM): swap them or widen the range.`;
  return null;
}

function numberInput(name, label) {
  return h("input", { id: `f-${name}`, name, type: "number", min: 0, max: 1000, step: 1, inputmode: "numeric", "aria-label": label, class: "bpm-input" });
}

function slider(name, label, value) {
  return h("input", { type: "range", class: `bpm-slider ${name}`, min: SLIDER.min, max: SLIDER.max, step: 1, value, "aria-label": label, tabindex: -1 });
}

/** The form; `changed(immediately)` is called when the filters it holds change. */
export function filterForm(changed) {
  const low = numberInput("bpm_min", "BPM from");
  const high = numberInput("bpm_max", "BPM to");
  const lowSlider = slider("low", "Lowest BPM", SLIDER.min);
  const highSlider = slider("high", "Highest BPM", SLIDER.max);
  const key = h("input", { type: "hidden", name: "key" });
  const scale = h("input", { type: "hidden", name: "scale" });
  const keySummary = h("summary", { class: "chip-button" }, "Key: any");
  const compatible = h("input", { id: "f-compatible", name: "compatible", type: "checkbox", value: "true" });
  const wheel = keyWheel((pickedKey, pickedScale) => {
    key.value = pickedKey || "";
    scale.value = pickedScale || "";
    syncKey();
    changed(true);
  });
  const keyPicker = h(
    "details",
    { class: "key-picker" },
    keySummary,
    h("div", { class: "key-popover" }, wheel.el, h("div", { class: "field-check" }, compatible, h("label", { for: "f-compatible" }, "Compatible keys")), h("small", { class: "hint" }, "same key, relative, ±1 on the wheel")),
  );
  const tags = h("input", { id: "f-tags", name: "tags", type: "text", placeholder: "tags: drill, lofi", autocomplete: "off", "aria-label": "Tags", class: "tags-input" });
  const chips = h("div", { class: "tag-chips", role: "group", "aria-label": "Popular tags" });
  const creator = h("input", { type: "hidden", name: "creator" });
  // A creator link filters by creator: the chip shows it and clears it.
  const creatorChip = h("button", { type: "button", class: "chip", "aria-pressed": "true", hidden: true, onclick: () => {
    creator.value = "";
    creatorChip.hidden = true;
    changed(true);
  } });
  const problem = h("p", { class: "field-error range-problem", role: "alert" });
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter samples" },
    h("input", { id: "f-q", name: "q", type: "search", placeholder: "Search title, tag, creator, sound…", autocomplete: "off", "aria-label": "Search", class: "search" }),
    h(
      "div",
      { class: "bpm-range", role: "group", "aria-label": "Tempo range" },
      h("span", { class: "filter-label" }, "BPM"),
      low,
      h("div", { class: "dual-slider" }, lowSlider, highSlider),
      high,
    ),
    h("label", { class: "chip-toggle", title: "Also samples at half or double the tempo" }, h("input", { type: "checkbox", name: "tempo_multiples", value: "true" }), "½×/2×"),
    keyPicker,
    key,
    scale,
    h("select", { id: "f-sort", name: "sort", "aria-label": "Sort" }, SORTS.map(([value, text]) => h("option", { value }, text))),
    creator,
    h("div", { class: "chip-row" }, creatorChip, chips, tags),
    problem,
  );

  let popular = [];
  /** Popular tags as chips (with any chosen ones first): a press adds or removes the tag. */
  function showTags(list) {
    popular = list;
    const chosen = new Set(tags.value.split(",").map((t) => t.trim()).filter(Boolean));
    const names = [...new Set([...chosen, ...popular.map((p) => p.tag)])].slice(0, 12);
    const toggle = (name) => {
      if (chosen.has(name)) chosen.delete(name);
      else chosen.add(name);
      tags.value = [...chosen].join(", ");
      showTags(popular);
      changed(true);
    };
    chips.replaceChildren(...names.map((name) => h("button", { type: "button", class: "chip", "aria-pressed": String(chosen.has(name)), onclick: () => toggle(name) }, `#${name}`)));
  }

  function syncKey() {
    const chosen = key.value && scale.value;
    keySummary.textContent = chosen ? `Key: ${keyLabel(key.value, scale.value)}` : "Key: any";
    keySummary.classList.toggle("is-on", Boolean(chosen));
    compatible.disabled = !chosen;
    wheel.show(key.value, scale.value, compatible.checked);
  }

  function syncSliders() {
    lowSlider.value = low.value === "" ? SLIDER.min : low.value;
    highSlider.value = high.value === "" ? SLIDER.max : high.value;
  }

  for (const [range, typed, end] of [[lowSlider, low, SLIDER.min], [highSlider, high, SLIDER.max]]) {
    range.addEventListener("input", (event) => {
      event.stopPropagation(); // the typed field is the one the form reads
      if (Number(lowSlider.value) > Number(highSlider.value)) range.value = range === lowSlider ? highSlider.value : lowSlider.value;
      typed.value = Number(range.value) === end ? "" : range.value;
      changed(false);
    });
  }
  form.addEventListener("input", (event) => {
    if (event.target.type === "number") syncSliders();
    if (TYPED.has(event.target.type)) changed(false); // debounced by the library
  });
  form.addEventListener("change", (event) => {
    if (event.target === compatible) syncKey();
    if (!TYPED.has(event.target.type) && event.target.type !== "range") changed(true);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    changed(true);
  });

  return {
    form,
    problem,
    read() {
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
      if (!(filters.bpm_min || filters.bpm_max)) delete filters.tempo_multiples;
      return filters;
    },
    write(filters) {
      for (const name of FILTERS) {
        const control = form.elements.namedItem(name);
        if (!control) continue;
        if (control.type === "checkbox") control.checked = filters[name] === "true";
        else control.value = filters[name] ?? (name === "sort" ? "newest" : "");
      }
      syncSliders();
      syncKey();
      showTags(popular);
      creatorChip.hidden = !creator.value;
      creatorChip.textContent = `@${creator.value} ×`;
      creatorChip.setAttribute("aria-label", `Stop filtering by @${creator.value}`);
    },
    showTags,
  };
}
