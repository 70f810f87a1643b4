// The player bar: what plays, play/pause, previous/next, its waveform, time, loop, volume.

import { graph } from "./audio.js";
import { waveformFor } from "./card.js";
import { h, icon, ICONS, replace } from "./dom.js";
import { duration, title } from "./format.js";
import { matchLabel, matchOf } from "./match.js";
import { player } from "./player.js";

export function mountPlayerBar(bar) {
  const toggle = h("button", { type: "button", class: "play small", onclick: () => player.toggle() }, icon(ICONS.play), icon(ICONS.pause));
  const previous = h("button", { type: "button", class: "icon-button", "aria-label": "Previous sample", onclick: () => player.previous() }, icon(ICONS.previous));
  const next = h("button", { type: "button", class: "icon-button", "aria-label": "Next sample", onclick: () => player.next() }, icon(ICONS.next));
  const name = h("a", { class: "bar-title" });
  const matched = h("span", { class: "bar-match" });
  const wave = h("div", { class: "bar-wave" });
  const time = h("span", { class: "bar-time", "aria-label": "Position" });
  const loop = h("button", { type: "button", class: "icon-button bar-loop", "aria-pressed": "false", "aria-label": "Repeat the sample" }, icon(ICONS.loop));
  const volume = h("input", { type: "range", class: "bar-volume", min: 0, max: 1, step: 0.01, value: graph.volume, "aria-label": "Volume" });
  replace(
    bar,
    h("div", { class: "bar-controls" }, previous, toggle, next),
    h("div", { class: "bar-now" }, name, matched),
    wave,
    time,
    loop,
    h("label", { class: "bar-volume-label" }, icon(ICONS.volume), volume),
  );

  loop.addEventListener("click", () => {
    player.audio.loop = !player.audio.loop;
    loop.setAttribute("aria-pressed", String(player.audio.loop));
  });
  volume.addEventListener("input", () => graph.setVolume(Number(volume.value), player.audio));

  let shownId = null;
  player.addEventListener("change", () => {
    const sample = player.current;
    bar.hidden = sample === null;
    if (!sample) return;
    const playing = player.playing;
    toggle.dataset.state = playing ? "playing" : "paused";
    toggle.setAttribute("aria-label", `${playing ? "Pause" : "Play"} ${title(sample)}`);
    name.textContent = title(sample);
    name.href = `/samples/${sample.id}`;
    const match = matchOf(sample);
    matched.textContent = match.matched ? `matched ${matchLabel(match)}` : "";
    if (shownId !== sample.id) {
      shownId = sample.id;
      replace(wave, waveformFor(sample, "wave bar-waveform"));
    }
  });
  let shown = "";
  player.addEventListener("time", () => {
    if (!player.current) return;
    const total = Number.isFinite(player.audio.duration) ? player.audio.duration : player.current.duration_seconds;
    const text = `${duration(player.audio.currentTime)} / ${duration(total)}`;
    if (text !== shown) time.textContent = shown = text;
  });
}
