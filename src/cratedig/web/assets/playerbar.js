// The player bar: what plays, play/pause, previous/next, time; stays across pages.

import { h, icon, ICONS, replace } from "./dom.js";
import { duration, title } from "./format.js";
import { player } from "./player.js";

export function mountPlayerBar(bar) {
  const toggle = h("button", { type: "button", class: "play small", onclick: () => player.toggle() }, icon(ICONS.play), icon(ICONS.pause));
  const previous = h("button", { type: "button", class: "icon-button", "aria-label": "Previous sample", onclick: () => player.previous() }, icon(ICONS.previous));
  const next = h("button", { type: "button", class: "icon-button", "aria-label": "Next sample", onclick: () => player.next() }, icon(ICONS.next));
  const name = h("a", { class: "bar-title" });
  const time = h("span", { class: "bar-time", "aria-label": "Position" });
  replace(bar, h("div", { class: "bar-controls" }, previous, toggle, next), name, time);

  player.addEventListener("change", () => {
    const sample = player.current;
    bar.hidden = sample === null;
    if (!sample) return;
    const playing = player.playing;
    toggle.dataset.state = playing ? "playing" : "paused";
    toggle.setAttribute("aria-label", `${playing ? "Pause" : "Play"} ${title(sample)}`);
    name.textContent = title(sample);
    name.href = `/samples/${sample.id}`;
  });
  let shown = "";
  player.addEventListener("time", () => {
    if (!player.current) return;
    const total = Number.isFinite(player.audio.duration) ? player.audio.duration : player.current.duration_seconds;
    const text = `${duration(player.audio.currentTime)} / ${duration(total)}`;
    if (text !== shown) time.textContent = shown = text;
  });
}
