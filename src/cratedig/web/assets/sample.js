// One sample: video, every fact, the creator, downloads, and similar samples.

import { api, ApiError } from "./api.js";
import { cardGrid, creatorLine, playButton, tagList, waveformFor } from "./card.js";
import { h, icon, ICONS, replace } from "./dom.js";
import { bpm, count, dateTime, duration, keyLabel, stepName, title } from "./format.js";
import { player } from "./player.js";

const SIMILAR_LIMIT = 8;

/** A count, or null (the row is left out) when the source did not say. */
function known(value) {
  return value === null || value === undefined ? null : count(value);
}

function facts(sample) {
  const sound = [sample.sound_title, sample.sound_artist && `by ${sample.sound_artist}`]
    .filter(Boolean)
    .join(" ");
  const rows = [
    ["Tempo", bpm(sample.bpm)],
    ["Key", keyLabel(sample.key, sample.scale)],
    ["Loudness", sample.loudness_lufs === null ? null : `${sample.loudness_lufs.toFixed(1)} LUFS`],
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
  ];
  return h(
    "dl",
    { class: "facts-list" },
    rows
      .filter(([, value]) => value !== null && value !== undefined)
      .map(([name, value]) => h("div", {}, h("dt", {}, name), h("dd", {}, value))),
  );
}

/** Followers come from the creator's profile (a sample only carries a summary). */
function followers(creator, signal) {
  const line = h("p", { class: "muted followers" });
  api(`/api/v1/creators/${encodeURIComponent(creator.username)}?limit=1`, { signal }).then(
    (profile) => {
      if (profile.follower_count !== null) line.textContent = `${count(profile.follower_count)} followers`;
    },
    () => {}, // the card reads fine without the count
  );
  return line;
}

function creatorCard(creator, signal) {
  if (!creator) return null;
  return h(
    "section",
    { class: "creator-card", "aria-label": "Creator" },
    creator.avatar_url
      ? h("img", { src: creator.avatar_url, alt: "", width: 56, height: 56 })
      : h("span", { class: "avatar-blank large", "aria-hidden": "true" }),
    h(
      "div",
      {},
      h(
        "p",
        { class: "creator-name" },
        creator.nickname || creator.username,
        creator.verified ? h("span", { class: "verified", title: "verified" }, icon(ICONS.check), h("span", { class: "visually-hidden" }, " (verified)")) : null,
      ),
      creatorLine(creator, { avatar: false }),
      followers(creator, signal),
    ),
  );
}

function downloadLink(sample, format) {
  const available = format === "wav" ? sample.audio_url_wav : sample.audio_url_mp3;
  if (!available) return null;
  return h(
    "a",
    {
      class: "button",
      href: `/api/v1/samples/${sample.id}/download?format=${format}`,
      download: "",
    },
    icon(ICONS.download),
    `Download ${format.toUpperCase()}`,
  );
}

function media(sample) {
  const poster = sample.cover_url || sample.thumbnail_url;
  if (sample.video_url) {
    const video = h("video", {
      src: sample.video_url,
      poster: poster || false,
      controls: true,
      playsinline: true,
      preload: "metadata",
      "aria-label": `Video of ${title(sample)}`,
    });
    video.addEventListener("play", () => player.audio.pause()); // one sound at a time
    return h("div", { class: "sample-media" }, video);
  }
  if (poster) return h("div", { class: "sample-media" }, h("img", { src: poster, alt: `Cover of ${title(sample)}` }));
  return null;
}

function notReady(sample) {
  const why =
    sample.status === "failed"
      ? `Processing failed${sample.step ? ` at ${stepName(sample.step)}` : ""}: ${sample.error_code || ""} ${sample.error_message || ""}`
      : `This sample is ${sample.status}${sample.step ? ` (${stepName(sample.step)})` : ""}.`;
  return h("p", { class: sample.status === "failed" ? "notice error" : "notice" }, why);
}

export function mount(main, { id }) {
  document.title = "Sample · cratedig";
  const controller = new AbortController();
  const status = h("p", { role: "status" }, "Loading the sample…");
  replace(main, status);
  const pauseVideos = () => {
    if (player.playing) for (const video of main.querySelectorAll("video")) video.pause();
  };
  player.addEventListener("change", pauseVideos);

  api(`/api/v1/samples/${encodeURIComponent(id)}`, { signal: controller.signal }).then(
    (sample) => render(main, sample, controller.signal),
    (error) => {
      if (error.name === "AbortError") return;
      const message =
        error instanceof ApiError && error.status === 404
          ? "There is no such sample."
          : error instanceof ApiError && error.status === 422
            ? "That is not a sample address."
            : `Could not load the sample: ${error.message}`;
      document.title = "Sample not found · cratedig";
      replace(main, h("h1", {}, "Sample not found"), h("p", { role: "alert" }, message), h("p", {}, h("a", { href: "/" }, "Back to the library")));
    },
  );
  return {
    unmount() {
      controller.abort();
      player.removeEventListener("change", pauseVideos);
    },
  };
}

function render(main, sample, signal) {
  const name = title(sample);
  document.title = `${name} · cratedig`;
  const similar = h("section", { class: "similar", "aria-labelledby": "similar-title" });
  replace(
    main,
    h(
      "article",
      { class: "sample-page", dataset: { sampleId: sample.id } },
      media(sample),
      h(
        "div",
        { class: "sample-info" },
        h("h1", { tabindex: "-1" }, name),
        sample.status === "completed" ? null : notReady(sample),
        creatorCard(sample.creator, signal),
        h("div", { class: "sample-player" }, playButton(sample, "play large"), waveformFor(sample, "wave tall")),
        h("div", { class: "downloads" }, downloadLink(sample, "wav"), downloadLink(sample, "mp3")),
        sample.description ? h("p", { class: "description" }, sample.description) : null,
        tagList(sample.tags, name),
        facts(sample),
        h("p", { class: "source" }, h("a", { href: sample.source_url, rel: "noopener noreferrer" }, "Original post")),
      ),
    ),
    similar,
  );
  player.setQueue([sample]);
  player.warm();
  if (sample.status !== "completed") return;
  api(`/api/v1/samples/${sample.id}/similar?limit=${SIMILAR_LIMIT}`, { signal }).then(
    (items) => {
      const heading = h("h2", { id: "similar-title" }, "Similar tempo and key");
      if (!items.length) {
        replace(similar, heading, h("p", { class: "muted" }, "Nothing close in tempo and key yet."));
        return;
      }
      replace(similar, heading, cardGrid(items));
      player.setQueue([sample, ...items]);
    },
    () => similar.remove(), // an older API without the route: no section
  );
}
