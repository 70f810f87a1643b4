// The header's tools: the project to match previews to, the theme, the crate button.

import { h, replace } from "./dom.js";
import { camelotWheel } from "./format.js";
import { DEFAULT_LIMIT, onProjectChange, project, setProject } from "./match.js";

const THEME_KEY = "cratedig.theme";
const TYPING_DELAY_MS = 250;

/** Dark unless this browser chose light (the shell applies it before the first paint too). */
export function applyTheme(theme) {
  document.documentElement.dataset.theme = theme === "light" ? "light" : "dark";
}

function themeToggle() {
  const button = h("button", { type: "button", class: "header-button theme-toggle" });
  const sync = () => {
    const dark = document.documentElement.dataset.theme !== "light";
    button.textContent = dark ? "Light" : "Dark";
    button.setAttribute("aria-label", dark ? "Switch to the light theme" : "Switch to the dark theme");
  };
  button.addEventListener("click", () => {
    const next = document.documentElement.dataset.theme === "light" ? "dark" : "light";
    localStorage.setItem(THEME_KEY, next);
    applyTheme(next);
    sync();
    window.dispatchEvent(new Event("themechange")); // canvases repaint in the new colours
  });
  window.addEventListener("themechange", sync);
  sync();
  return button;
}

function projectControls() {
  const tempo = h("input", { id: "project-bpm", type: "number", min: 40, max: 300, step: "0.1", inputmode: "decimal", placeholder: "BPM", value: project.bpm ?? "" });
  const keys = camelotWheel().map((k) => [`${k.key}|${k.scale}`, `${k.key} ${k.scale} (${k.number}${k.letter})`]);
  const key = h("select", { id: "project-key" }, h("option", { value: "" }, "any key"), keys.map(([value, text]) => h("option", { value }, text)));
  const limit = h("input", { id: "project-limit", type: "number", min: 1, max: 100, step: 1, value: project.limit, title: "Previews needing more stretch than this are dimmed" });
  key.value = project.key ? `${project.key}|${project.scale}` : "";
  let timer = 0;
  const applyTempo = () => setProject({ bpm: tempo.value === "" ? null : Number(tempo.value) });
  tempo.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(applyTempo, TYPING_DELAY_MS);
  });
  tempo.addEventListener("change", () => {
    clearTimeout(timer);
    applyTempo();
  });
  key.addEventListener("change", () => {
    const [name, scale] = key.value ? key.value.split("|") : [null, null];
    setProject({ key: name, scale });
  });
  limit.addEventListener("change", () => setProject({ limit: limit.value === "" ? DEFAULT_LIMIT : Number(limit.value) }));
  const group = h(
    "div",
    { class: "project", role: "group", "aria-label": "Match previews to my project" },
    h("span", { class: "project-label" }, "Project"),
    h("label", { for: "project-bpm", class: "visually-hidden" }, "Project BPM"),
    tempo,
    h("label", { for: "project-key", class: "visually-hidden" }, "Project key"),
    key,
    h("label", { for: "project-limit", class: "project-limit" }, "±", limit, "%"),
  );
  onProjectChange(() => {
    group.classList.toggle("is-active", project.active);
    if (document.activeElement !== tempo) tempo.value = project.bpm ?? "";
  });
  group.classList.toggle("is-active", project.active);
  return group;
}

/** Fill the header's tool slot; returns the crate toggle (the panel wires it). */
export function mountHeader(slot) {
  const crateToggle = h("button", { type: "button", class: "header-button crate-button", "aria-expanded": "false", "aria-controls": "crate-panel" }, "Crate ", h("span", { class: "crate-count" }, "0"));
  replace(slot, projectControls(), themeToggle(), crateToggle);
  return crateToggle;
}
