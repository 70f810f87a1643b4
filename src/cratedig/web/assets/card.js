// A sample as a card: cover with a play button, title, creator, waveform, tempo, key, tags.

import { h, icon, ICONS } from "./dom.js";
import { bpm, duration, keyLabel, title } from "./format.js";
import { player } from "./player.js";
import { Waveform } from "./waveform.js";

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
  const waveform = new Waveform(sample, {
    label: `Seek in ${title(sample)}`,
    className,
    onSeek: (fraction) => player.seekSample(sample, fraction),
  });
  player.watch(sample.id, waveform);
  return waveform.canvas;
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
  const cover = sample.cover_url || sample.thumbnail_url;
  const facts = [duration(sample.duration_seconds), bpm(sample.bpm), keyLabel(sample.key, sample.scale)];
  const card = h(
    "article",
    { class: "card", dataset: { sampleId: sample.id } },
    h(
      "div",
      { class: "card-top" },
      h(
        "div",
        { class: "cover" },
        cover
          ? h("img", { src: cover, alt: "", width: 72, height: 72, loading: "lazy", decoding: "async" })
          : h("span", { class: "cover-blank", "aria-hidden": "true" }),
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
      facts.filter(Boolean).map((fact, i) => [i ? h("span", { "aria-hidden": "true" }, " · ") : null, fact]),
    ),
    tagList(sample.tags, name),
  );
  // Start loading the stream when the pointer or focus arrives: the click then plays at once.
  card.addEventListener("pointerenter", () => player.prepare(sample));
  card.addEventListener("focusin", () => player.prepare(sample));
  return card;
}

/** Cards in a list (a grid by CSS). */
export function cardGrid(samples) {
  return h("ul", { class: "grid" }, samples.map((sample) => h("li", {}, sampleCard(sample))));
}
