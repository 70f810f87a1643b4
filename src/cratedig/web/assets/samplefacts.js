// The sample page's facts (every field, confidences, candidates) and the admin correction form.

import { api, ApiError } from "./api.js";
import { keyText, tempoText } from "./card.js";
import { h } from "./dom.js";
import { bpm, candidatesText, count, dateTime, duration, KEYS, keyLabel, percent } from "./format.js";

/** A count, or null (the row is left out) when the source did not say. */
function known(value) {
  return value === null || value === undefined ? null : count(value);
}

function analysisRow(sample) {
  const analysis = sample.analysis;
  if (!analysis || !sample.corrections || !Object.keys(sample.corrections).length) return null;
  return [bpm(analysis.bpm), keyLabel(analysis.key, analysis.scale)].filter(Boolean).join(", ");
}

/** Every fact the API gives about a sample, as a definition list. */
export function facts(sample) {
  const sound = [sample.sound_title, sample.sound_artist && `by ${sample.sound_artist}`].filter(Boolean).join(" ");
  const rows = [
    ["Tempo", sample.bpm ? tempoText(sample) : null],
    ["Tempo confidence", sample.bpm_confidence === null || sample.bpm_confidence === undefined ? null : percent(sample.bpm_confidence)],
    ["Tempo candidates", candidatesText(sample.bpm_candidates, (c) => bpm(c.bpm)) || null],
    ["Key", sample.key ? keyText(sample) : null],
    ["Key confidence", sample.key_confidence === null || sample.key_confidence === undefined ? null : percent(sample.key_confidence)],
    ["Key candidates", candidatesText(sample.key_candidates, (c) => keyLabel(c.key, c.scale)) || null],
    ["Analysis said", analysisRow(sample)],
    ["Beats per bar", sample.beats_per_bar ?? null],
    ["Loudness", sample.loudness_lufs === null || sample.loudness_lufs === undefined ? null : `${sample.loudness_lufs.toFixed(1)} LUFS`],
    ["Duration", duration(sample.duration_seconds)],
    ["Sound", sound || null],
    ["Album", sample.sound_album],
    ["Original sound", sample.sound_is_original === null ? null : sample.sound_is_original ? "yes" : "no"],
    ["Posted", sample.posted_at ? dateTime(sample.posted_at) : null],
    ["Region", sample.region],
    ["Views", known(sample.view_count)],
    ["Likes", known(sample.like_count)],
    ["Comments", known(sample.comment_count)],
    ["Shares", known(sample.share_count)],
    ["Saves", known(sample.save_count)],
    ["Downloads", count(sample.download_count)],
    ["Processed", sample.processed_at ? dateTime(sample.processed_at) : null],
  ];
  return h(
    "dl",
    { class: "facts-list" },
    rows
      .filter(([, value]) => value !== null && value !== undefined && value !== "")
      .map(([name, value]) => h("div", {}, h("dt", {}, name), h("dd", {}, value instanceof Node ? value : String(value)))),
  );
}

/** The admin's correction of tempo, key and scale (`PATCH`); `saved(sample)` gets the answer. */
export function correctionForm(sample, saved) {
  const tempo = h("input", { id: "fix-bpm", type: "number", min: 20, max: 400, step: "0.1", value: sample.bpm ?? "" });
  const key = h("select", { id: "fix-key" }, h("option", { value: "" }, "unknown"), KEYS.map((k) => h("option", { value: k }, k)));
  const scale = h("select", { id: "fix-scale" }, ["major", "minor"].map((s) => h("option", { value: s }, s)));
  key.value = sample.key || "";
  scale.value = sample.scale || "major";
  const message = h("p", { class: "field-error", role: "alert" });
  const form = h(
    "form",
    {},
    h("div", { class: "field" }, h("label", { for: "fix-bpm" }, "BPM"), tempo),
    h("div", { class: "field" }, h("label", { for: "fix-key" }, "Key"), key),
    h("div", { class: "field" }, h("label", { for: "fix-scale" }, "Scale"), scale),
    h("button", { type: "submit", class: "button small" }, "Save correction"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    const body = {};
    if (tempo.value !== "") body.bpm = Number(tempo.value);
    if (key.value) {
      body.key = key.value;
      body.scale = scale.value;
    }
    try {
      await api(`/api/v1/samples/${sample.id}`, { method: "PATCH", body, admin: true });
      saved(await api(`/api/v1/samples/${sample.id}`)); // the detail, correction and analysis
    } catch (error) {
      const refused = error instanceof ApiError && [401, 403].includes(error.status);
      message.textContent = refused ? "Only an admin can correct: set the admin token on the Operations page." : error.message;
    }
  });
  return h(
    "details",
    { class: "correction" },
    h("summary", {}, "Correct tempo and key (admin)"),
    h("p", { class: "hint" }, "The analysis' values are kept beside the correction; a reprocess never overwrites it."),
    form,
    message,
  );
}
