// A sample as a card: cover with a play button, title, creator, waveform, tempo, key, tags.

import { crate } from "./crate.js";
import { h, icon, ICONS } from "./dom.js";
import { bpm, candidatesText, duration, isUnsure, KEYS, keyLabel, pitchClass, roundBpm, title } from "./format.js";
import { matchLabel, matchOf, project, projectDownload } from "./match.js";
import { player } from "./player.js";
import { Waveform } from "./waveform.js";

/** The download address of a sample: plain, matched to the project, or one loop. */
export function downloadUrl(sample, { format = "wav", matched = false, bars = null } = {}) {
  const params = new URLSearchParams({ format });
  if (matched) for (const [name, value] of Object.entries(projectDownload())) params.set(name, String(value));
  if (bars) params.set("bars", String(bars));
  return `/api/v1/samples/${sample.id}/download?${params}`;
}

/** A file name like the server's: "90bpm_Aminor_beatsmith_1a2b3c4d.wav" (or as matched). */
export function fileName(sample, ext = "wav", matched = false) {
  let { bpm: tempo, key } = sample;
  if (matched) {
    const match = matchOf(sample);
    if (project.bpm && tempo) tempo = project.bpm;
    if (project.key && key) key = KEYS[(pitchClass(key) + match.semitones + 12) % 12];
  }
  const parts = [tempo ? `${roundBpm(tempo)}bpm` : "", key ? `${key}${sample.scale || ""}` : "", sample.creator?.username || "", String(sample.id).replaceAll("-", "").slice(0, 8)];
  return `${parts.map((part) => part.replace(/[^\w.#-]+/g, "")).filter(Boolean).join("_")}.${ext}`;
}

/** Rows drag straight into a desktop DAW: Chromium saves the WAV where it is dropped. */
export function draggableToDaw(el, sample) {
  el.draggable = true;
  el.addEventListener("dragstart", (event) => {
    const matched = matchOf(sample).matched;
    const url = new URL(downloadUrl(sample, { matched }), location.href);
    event.dataTransfer.setData("DownloadURL", `audio/wav:${fileName(sample, "wav", matched)}:${url.href}`);
    event.dataTransfer.setData("text/uri-list", url.href);
    event.dataTransfer.setData("text/plain", url.href);
    event.dataTransfer.effectAllowed = "copy";
  });
}

/** The cover, falling back to the thumbnail, then to a blank tile, when an image is broken. */
export function coverImage(sample, size) {
  const sources = [sample.cover_url, sample.thumbnail_url].filter(Boolean);
  if (!sources.length) return h("span", { class: "cover-blank", "aria-hidden": "true" });
  const img = h("img", { src: sources[0], alt: "", width: size, height: size, loading: "lazy", decoding: "async" });
  let tried = 0;
  img.addEventListener("error", () => {
    tried += 1;
    if (tried < sources.length) img.src = sources[tried];
    else img.replaceWith(h("span", { class: "cover-blank", "aria-hidden": "true" }));
  });
  return img;
}

/** The tempo, marked "~" and muted when unsure; the other readings on hover. */
export function tempoText(sample) {
  if (sample.bpm === null || sample.bpm === undefined) return h("span", { class: "bpm muted" }, "–");
  const unsure = isUnsure(sample.bpm_confidence);
  const others = candidatesText(sample.bpm_candidates, (c) => bpm(c.bpm));
  return h(
    "span",
    { class: `bpm${unsure ? " unsure" : ""}`, title: others ? `Tempo candidates: ${others}` : null },
    unsure ? h("span", { "aria-label": "about" }, "~") : null,
    bpm(sample.bpm),
  );
}

/** The key with its Camelot code, marked like the tempo. */
export function keyText(sample) {
  if (!sample.key) return h("span", { class: "key muted" }, "–");
  const unsure = isUnsure(sample.key_confidence);
  const others = candidatesText(sample.key_candidates, (c) => `${c.key} ${c.scale}`);
  return h(
    "span",
    { class: `key${unsure ? " unsure" : ""}`, title: others ? `Key candidates: ${others}` : null },
    unsure ? h("span", { "aria-label": "about" }, "~") : null,
    keyLabel(sample.key, sample.scale),
  );
}

/** "×1.05 · +2 st" when matching is on (empty otherwise). */
export function matchText(sample) {
  const match = matchOf(sample);
  return h("span", { class: `match${match.tooFar ? " too-far" : ""}`, title: match.matched ? "Stretch ratio and semitone shift to the project" : null }, match.matched ? matchLabel(match) : "");
}

/** Add to (or take out of) the crate. */
export function crateButton(sample, { text = false } = {}) {
  const name = title(sample);
  const words = h("span", {});
  const button = h("button", { type: "button", class: text ? "button secondary small crate-toggle" : "icon-button crate-toggle", dataset: { crateId: sample.id } }, icon(ICONS.crate), text ? words : null);
  const sync = () => {
    const inside = crate.has(sample.id);
    button.setAttribute("aria-label", `${inside ? "Remove" : "Add"} ${name} ${inside ? "from" : "to"} the crate`);
    button.setAttribute("aria-pressed", String(inside));
    words.textContent = inside ? "In the crate" : "Add to crate";
  };
  button.addEventListener("click", () => (crate.has(sample.id) ? crate.remove(sample.id) : crate.add(sample)));
  crate.addEventListener("change", () => button.isConnected && sync());
  sync();
  return button;
}

/** The WAV download (matched to the project when matching is on). */
export function downloadButton(sample) {
  const matched = matchOf(sample).matched;
  return h(
    "a",
    { class: "icon-button", href: downloadUrl(sample, { matched }), download: "", "aria-label": `Download ${title(sample)} as WAV${matched ? " matched to the project" : ""}` },
    icon(ICONS.download),
  );
}

/** A play/pause button for a sample (its label follows the player). */
export function playButton(sample, className = "play") {
  const name = title(sample);
  const button = h(
    "button",
    {
      type: "button",
      class: className,
      "aria-label": `Play ${name}`,
      dataset: { playId: sample.id, playTitle: name, state: "paused" },
      disabled: !(sample.audio_url_hls || sample.audio_url_mp3),
      onclick: () => player.toggleSample(sample),
    },
    icon(ICONS.play),
    icon(ICONS.pause),
  );
  if (player.isPlaying(sample.id)) {
    button.dataset.state = "playing";
    button.setAttribute("aria-label", `Pause ${name}`);
  }
  return button;
}

/** A waveform of the sample wired to the shared player. */
export function waveformFor(sample, className = "wave") {
  return makeWaveform(sample, className).canvas;
}

/** The Waveform object itself (the sample page marks loops on it). */
export function makeWaveform(sample, className = "wave") {
  const waveform = new Waveform(sample, {
    label: `Seek in ${title(sample)}`,
    className,
    onSeek: (fraction) => player.seekSample(sample, fraction),
  });
  player.watch(sample.id, waveform);
  return waveform;
}

/** The creator's avatar and @handle, linking to their samples in the library. */
export function creatorLine(creator, { avatar = true } = {}) {
  if (!creator) return h("span", { class: "creator muted" }, "unknown creator");
  let picture = null;
  if (avatar && creator.avatar_url) {
    picture = h("img", { src: creator.avatar_url, alt: "", width: 24, height: 24, loading: "lazy" });
  } else if (avatar) {
    picture = h("span", { class: "avatar-blank", "aria-hidden": "true" });
  }
  return h(
    "a",
    { class: "creator", href: `/?creator=${encodeURIComponent(creator.username)}` },
    picture,
    h("span", {}, `@${creator.username}`),
  );
}

export function tagList(tags, name) {
  if (!tags.length) return null;
  return h(
    "ul",
    { class: "tags", "aria-label": `Tags of ${name}` },
    tags.map((tag) => h("li", {}, h("a", { href: `/?tags=${encodeURIComponent(tag)}` }, `#${tag}`))),
  );
}

export function sampleCard(sample) {
  const name = title(sample);
  const facts = [duration(sample.duration_seconds), tempoText(sample), keyText(sample), matchText(sample)];
  const card = h(
    "article",
    { class: `card${matchOf(sample).tooFar ? " too-far" : ""}`, dataset: { sampleId: sample.id } },
    h(
      "div",
      { class: "card-top" },
      h(
        "div",
        { class: "cover" },
        coverImage(sample, 72),
        playButton(sample),
      ),
      h(
        "div",
        { class: "card-heading" },
        h("h3", { class: "card-title" }, h("a", { href: `/samples/${sample.id}` }, name)),
        creatorLine(sample.creator),
      ),
    ),
    waveformFor(sample),
    h(
      "p",
      { class: "facts" },
      facts.map((fact, i) => [i ? h("span", { "aria-hidden": "true" }, " · ") : null, fact]),
    ),
    h("div", { class: "card-foot" }, tagList(sample.tags, name), h("span", { class: "row-actions" }, crateButton(sample), downloadButton(sample))),
  );
  draggableToDaw(card, sample);
  // Start loading the stream when the pointer or focus arrives: the click then plays at once.
  card.addEventListener("pointerenter", () => player.prepare(sample));
  card.addEventListener("focusin", () => player.prepare(sample));
  return card;
}

/** Cards in a list (a grid by CSS). */
export function cardGrid(samples) {
  return h("ul", { class: "grid" }, samples.map((sample) => h("li", {}, sampleCard(sample))));
}

/** One dense row: play, cover, title and @creator, a large waveform, tempo, key, length, tags. */
export function sampleRow(sample) {
  const name = title(sample);
  const row = h(
    "article",
    { class: `card row${matchOf(sample).tooFar ? " too-far" : ""}`, dataset: { sampleId: sample.id } },
    playButton(sample),
    h("div", { class: "cover" }, coverImage(sample, 44)),
    h("div", { class: "card-heading" }, h("h3", { class: "card-title" }, h("a", { href: `/samples/${sample.id}` }, name)), creatorLine(sample.creator, { avatar: false })),
    waveformFor(sample, "wave row-wave"),
    h("span", { class: "cell-bpm" }, tempoText(sample)),
    h("span", { class: "cell-key" }, keyText(sample)),
    h("span", { class: "cell-duration" }, duration(sample.duration_seconds)),
    h("span", { class: "cell-match" }, matchText(sample)),
    h("div", { class: "cell-tags" }, tagList(sample.tags.slice(0, 3), name)),
    h("span", { class: "row-actions" }, crateButton(sample), downloadButton(sample)),
  );
  draggableToDaw(row, sample);
  row.addEventListener("pointerenter", () => player.prepare(sample));
  row.addEventListener("focusin", () => player.prepare(sample));
  return row;
}

/** Samples as rows (the library's default) or cards. */
export function sampleList(samples, view = "list") {
  const make = view === "grid" ? sampleCard : sampleRow;
  return h("ul", { class: view === "grid" ? "grid" : "rows" }, samples.map((sample) => h("li", {}, make(sample))));
}
