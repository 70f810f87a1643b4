// One sample: video, every fact, the creator, downloads, and similar samples.

import { api, ApiError } from "./api.js";
import { crateButton, creatorLine, downloadUrl, makeWaveform, playButton, sampleList, tagList } from "./card.js";
import { h, icon, ICONS, replace } from "./dom.js";
import { count, stepName, title } from "./format.js";
import { loopPlayer, loopsOf } from "./loops.js";
import { matchLabel, matchOf, onProjectChange, project, projectKeyLabel } from "./match.js";
import { player } from "./player.js";
import { correctionForm, facts } from "./samplefacts.js";

const SIMILAR_LIMIT = 8;

/** Followers: in the sample's creator when the API sends them, else from the profile. */
function followers(creator, signal) {
  const line = h("p", { class: "muted followers" });
  if (creator.follower_count !== undefined && creator.follower_count !== null) {
    line.textContent = `${count(creator.follower_count)} followers`;
    return line;
  }
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

function downloadLink(sample, format, options = {}, label = `Download ${format.toUpperCase()}`) {
  const available = format === "wav" ? sample.audio_url_wav : sample.audio_url_mp3;
  if (!available) return null;
  return h("a", { class: "button secondary small", href: downloadUrl(sample, { format, ...options }), download: "" }, icon(ICONS.download), label);
}

/** Plain, matched-to-project and loop downloads. */
function downloads(sample) {
  const plain = h("div", { class: "download-group" }, h("span", { class: "label" }, "Original"), downloadLink(sample, "wav"), downloadLink(sample, "mp3"));
  const match = matchOf(sample);
  const matched = match.matched
    ? h("div", { class: "download-group matched" }, h("span", { class: "label" }, `Matched (${[project.bpm && `${project.bpm} BPM`, projectKeyLabel()].filter(Boolean).join(", ")}, ${matchLabel(match)})`), downloadLink(sample, "wav", { matched: true }, "Matched WAV"), downloadLink(sample, "mp3", { matched: true }, "Matched MP3"))
    : h("p", { class: "hint" }, "Set your project's tempo and key in the header for matched downloads.");
  const loops = sample.bpm
    ? h("div", { class: "download-group loops-download" }, h("span", { class: "label" }, match.matched ? "Loops, matched" : "Loops"), [1, 2, 4, 8].map((bars) => downloadLink(sample, "wav", { matched: match.matched, bars }, `${bars} bar${bars === 1 ? "" : "s"}`)))
    : null;
  return h("div", { class: "downloads" }, plain, matched, loops);
}

/** The loops as buttons: a press plays one on repeat (and marks it on the waveform). */
function loopButtons(sample, waveform) {
  const loops = loopsOf(sample);
  if (!loops.length) return h("p", { class: "hint loops" }, "No loops suggested for this sample yet.");
  const buttons = loops.map((loop) =>
    h("button", { type: "button", class: "button secondary small loop-button", "aria-pressed": "false", dataset: { bars: loop.bars }, onclick: () => player.toggleLoop(sample, loop) }, icon(ICONS.loop), `${loop.bars} bar${loop.bars === 1 ? "" : "s"}`),
  );
  const sync = () => {
    const playing = loopPlayer.current?.sample.id === sample.id ? loopPlayer.current.loop : null;
    loops.forEach((loop, i) => buttons[i].setAttribute("aria-pressed", String(loopPlayer.isPlaying(sample.id, loop))));
    waveform.setLoop(playing);
  };
  loopPlayer.addEventListener("change", sync);
  return h("div", { class: "loops", role: "group", "aria-label": "Loops" }, h("span", { class: "label muted" }, "Loops"), buttons);
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
    // The element takes the video's own shape (a broken poster must not decide it).
    video.addEventListener("loadedmetadata", () => {
      if (video.videoWidth && video.videoHeight) video.style.aspectRatio = `${video.videoWidth} / ${video.videoHeight}`;
    });
    video.addEventListener("play", () => {
      player.audio.pause(); // one sound at a time
      loopPlayer.stop();
    });
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
  const waveform = makeWaveform(sample, "wave tall");
  const downloadSlot = h("div", {}, downloads(sample));
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
        h("div", { class: "sample-player" }, playButton(sample, "play large"), waveform.canvas, crateButton(sample, { text: true })),
        loopButtons(sample, waveform),
        downloadSlot,
        sample.description ? h("p", { class: "description" }, sample.description) : null,
        tagList(sample.tags, name),
        facts(sample),
        correctionForm(sample, (updated) => render(main, updated, signal)),
        h("p", { class: "source" }, h("a", { href: sample.source_url, rel: "noopener noreferrer" }, "Original post")),
      ),
    ),
    similar,
  );
  const offProject = onProjectChange(() => (downloadSlot.isConnected ? replace(downloadSlot, downloads(sample)) : offProject()));
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
      replace(similar, heading, sampleList(items, "list"));
      player.setQueue([sample, ...items]);
    },
    () => similar.remove(), // an older API without the route: no section
  );
}
