// "Match to my project": the project's tempo and key, and how far each sample must move to fit.

import { camelot, KEYS, pitchClass } from "./format.js";

const STORE_KEY = "cratedig.project";
const PARAMS = { bpm: "project_bpm", key: "project_key", scale: "project_scale", limit: "max_stretch" };
export const DEFAULT_LIMIT = 15; // percent of stretch a preview may need before it is dimmed
const MIN_BPM = 40;
const MAX_BPM = 300;

function read() {
  try {
    return JSON.parse(localStorage.getItem(STORE_KEY) || "{}") || {};
  } catch {
    return {};
  }
}

function clean(raw) {
  const bpm = Number(raw.bpm);
  const limit = Number(raw.limit);
  const key = raw.key && pitchClass(raw.key) >= 0 ? KEYS[pitchClass(raw.key)] : null;
  return {
    bpm: Number.isFinite(bpm) && bpm >= MIN_BPM && bpm <= MAX_BPM ? bpm : null,
    key,
    scale: key && (raw.scale === "minor" || raw.scale === "major") ? raw.scale : key ? "major" : null,
    limit: Number.isFinite(limit) && limit > 0 && limit <= 100 ? limit : DEFAULT_LIMIT,
  };
}

/** The project as the URL says it, else as this browser remembers it. */
export function projectFromUrl(search = location.search) {
  const params = new URLSearchParams(search);
  if (!params.has(PARAMS.bpm) && !params.has(PARAMS.key)) return clean(read());
  const raw = {};
  for (const [name, param] of Object.entries(PARAMS)) raw[name] = params.get(param);
  return clean(raw);
}

export const project = { ...projectFromUrl(), active: false };
project.active = project.bpm !== null || project.key !== null;

const listeners = new Set();

/** Call `fn` whenever the project changes. */
export function onProjectChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Set (part of) the project: kept in local storage and in the address bar. */
export function setProject(changes) {
  Object.assign(project, clean({ ...project, ...changes }));
  project.active = project.bpm !== null || project.key !== null;
  localStorage.setItem(STORE_KEY, JSON.stringify({ bpm: project.bpm, key: project.key, scale: project.scale, limit: project.limit }));
  keepProjectInUrl();
  for (const fn of listeners) fn(project);
}

/** Write the project into the address bar (no history entry), so any link copied carries it. */
export function keepProjectInUrl() {
  const url = new URL(location.href);
  for (const [name, param] of Object.entries(PARAMS)) {
    const value = project[name];
    if (value === null || (name === "limit" && value === DEFAULT_LIMIT)) url.searchParams.delete(param);
    else url.searchParams.set(param, String(value));
  }
  const target = url.pathname + url.search + url.hash;
  if (target !== location.pathname + location.search + location.hash) history.replaceState(history.state, "", target);
}

/** The project's query parameters, for links that must keep it (a shared library link). */
export function projectQuery() {
  const params = {};
  for (const [name, param] of Object.entries(PARAMS)) {
    if (project[name] !== null && !(name === "limit" && project[name] === DEFAULT_LIMIT)) params[param] = project[name];
  }
  return params;
}

/**
 * The semitone shift (-6..+5, or +6 when that is the only way) that lands a sample's key on the
 * project's key, or on its relative when the scales differ (A minor fits C major unshifted).
 */
export function semitoneShift(key, scale, projectKey, projectScale) {
  const from = pitchClass(key);
  let to = pitchClass(projectKey);
  if (from < 0 || to < 0) return 0;
  if (scale && projectScale && scale !== projectScale) to = (to + (scale === "minor" ? 9 : 3)) % 12;
  let shift = (((to - from) % 12) + 12) % 12;
  if (shift > 6) shift -= 12;
  return shift;
}

/** The playback ratio that brings `bpm` to the project's tempo (as the server renders it). */
export function tempoRatio(bpm, projectBpm) {
  return bpm && projectBpm ? projectBpm / bpm : 1;
}

/** How a sample is matched: {ratio, semitones, stretchPercent, tooFar, matched}. */
export function matchOf(sample) {
  if (!project.active) return { ratio: 1, semitones: 0, stretchPercent: 0, tooFar: false, matched: false };
  const ratio = project.bpm && sample.bpm ? tempoRatio(sample.bpm, project.bpm) : 1;
  const semitones = project.key && sample.key ? semitoneShift(sample.key, sample.scale, project.key, project.scale) : 0;
  const stretchPercent = (ratio - 1) * 100;
  return { ratio, semitones, stretchPercent, tooFar: Math.abs(stretchPercent) > project.limit, matched: true };
}

/** "×1.05 · +2 st": what a row shows. */
export function matchLabel(match) {
  const sign = match.semitones > 0 ? "+" : match.semitones < 0 ? "−" : "±";
  return `×${match.ratio.toFixed(2)} · ${sign}${Math.abs(match.semitones)} st`;
}

/** The download options of the project: {bpm, key, scale} for matched renders. */
export function projectDownload() {
  const options = {};
  if (project.bpm) options.bpm = project.bpm;
  if (project.key) {
    options.key = project.key;
    options.scale = project.scale;
  }
  return options;
}

/** "C minor (5A)". */
export function projectKeyLabel() {
  if (!project.key) return "";
  const code = camelot(project.key, project.scale);
  return `${project.key} ${project.scale}${code ? ` (${code})` : ""}`;
}
