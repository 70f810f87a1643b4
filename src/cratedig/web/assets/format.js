// How numbers, times, keys and steps read on the page.

export const KEYS = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"];
const CAMELOT_MAJOR = { C: 8, G: 9, D: 10, A: 11, E: 12, B: 1, "F#": 2, "C#": 3, Ab: 4, Eb: 5, Bb: 6, F: 7 };
const CAMELOT_MINOR = { A: 8, E: 9, B: 10, "F#": 11, "C#": 12, Ab: 1, Eb: 2, Bb: 3, F: 4, C: 5, G: 6, D: 7 };

/** 83.4 → "1:23". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–:––";
  const whole = Math.max(0, Math.floor(seconds));
  const minutes = Math.floor(whole / 60);
  return `${minutes}:${String(whole % 60).padStart(2, "0")}`;
}

/** Whole BPM by the server's one rule (half up, as in download file names): 80.5 → 81. */
export function roundBpm(value) {
  return Math.floor(value + 0.5);
}

/** 119.6 → "120 BPM". */
export function bpm(value) {
  return value === null || value === undefined ? null : `${roundBpm(value)} BPM`;
}

/** Below this confidence a tempo or key is shown as a guess ("~", muted). */
export const LOW_CONFIDENCE = 0.5;

/** Whether an estimate is a guess (a missing confidence is not: older rows have none). */
export function isUnsure(confidence) {
  return confidence !== null && confidence !== undefined && confidence < LOW_CONFIDENCE;
}

/** "0.42" → "42 %". */
export function percent(value) {
  return value === null || value === undefined ? "–" : `${Math.round(value * 100)} %`;
}

/** The other tempo/key readings, for a tooltip: "90 BPM 62 % · 180 BPM 21 %". */
export function candidatesText(candidates, label) {
  if (!candidates?.length) return "";
  return candidates.map((c) => `${label(c)} ${percent(c.confidence)}`).join(" · ");
}

/** The pitch class (0 = C) of a key name, or -1. Sharps and flats both read. */
export function pitchClass(key) {
  const aliases = { "D#": "Eb", "G#": "Ab", "A#": "Bb", Db: "C#", Gb: "F#" };
  return KEYS.indexOf(aliases[key] || key);
}

/** The Camelot wheel code of a key: A minor → "8A". */
export function camelot(key, scale) {
  const table = scale === "minor" ? CAMELOT_MINOR : CAMELOT_MAJOR;
  const number = table[KEYS[pitchClass(key)]];
  return number ? `${number}${scale === "minor" ? "A" : "B"}` : null;
}

/** "A minor (8A)". */
export function keyLabel(key, scale) {
  if (!key) return null;
  const code = scale ? camelot(key, scale) : null;
  return `${key}${scale ? ` ${scale}` : ""}${code ? ` (${code})` : ""}`;
}

/** 1234567 → "1.2M". */
export function count(value) {
  if (value === null || value === undefined) return "–";
  return new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 }).format(value);
}

/** An ISO date as the reader's local date and time. */
export function dateTime(iso) {
  if (!iso) return "–";
  const date = new Date(iso);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** "fetch_source" → "fetch source". */
export function stepName(step) {
  return step ? step.replaceAll("_", " ") : "";
}

/** Seconds with one decimal: 1.234 → "1.2 s". */
export function seconds(value) {
  return value === null || value === undefined ? "–" : `${value.toFixed(1)} s`;
}

/** The first 8 characters of an id. */
export function shortId(id) {
  return String(id).slice(0, 8);
}

/** A sample's display title. */
export function title(sample) {
  return sample.title || sample.sound_title || `Sample ${shortId(sample.id)}`;
}

/** Every key on the Camelot wheel: {number, letter, key, scale}, 1A..12A and 1B..12B. */
export function camelotWheel() {
  const wheel = [];
  for (const [scale, table, letter] of [["minor", CAMELOT_MINOR, "A"], ["major", CAMELOT_MAJOR, "B"]]) {
    for (const [key, number] of Object.entries(table)) wheel.push({ number, letter, key, scale });
  }
  return wheel.sort((a, b) => a.number - b.number);
}
