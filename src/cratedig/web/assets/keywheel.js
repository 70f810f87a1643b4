// A key picker drawn as the Camelot wheel: outer ring major (B), inner ring minor (A).

import { camelotWheel } from "./format.js";

const NS = "http://www.w3.org/2000/svg";
const SIZE = 220;
const CENTER = SIZE / 2;
const RINGS = { B: [70, 108], A: [36, 70] };

function svg(tag, attrs) {
  const el = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  return el;
}

function point(radius, angle) {
  return [CENTER + radius * Math.sin(angle), CENTER - radius * Math.cos(angle)];
}

/** The ring segment of Camelot number `n` (12 at the top, clockwise). */
function segment(n, [inner, outer]) {
  const step = (2 * Math.PI) / 12;
  const from = (n - 0.5) * step;
  const to = (n + 0.5) * step;
  const [a, b, c, d] = [point(outer, from), point(outer, to), point(inner, to), point(inner, from)];
  return `M${a} A${outer},${outer} 0 0 1 ${b} L${c} A${inner},${inner} 0 0 0 ${d} Z`;
}

/**
 * An SVG wheel; each key is a button (keyboard: Enter/Space). `onPick(key, scale)` gets the
 * chosen key, or (null, null) when the chosen one is picked again.
 */
export function keyWheel(onPick) {
  const root = svg("svg", { viewBox: `0 0 ${SIZE} ${SIZE}`, class: "key-wheel", role: "group", "aria-label": "Camelot wheel" });
  const buttons = [];
  for (const entry of camelotWheel()) {
    const label = `${entry.key} ${entry.scale} (${entry.number}${entry.letter})`;
    const group = svg("g", { role: "button", tabindex: 0, "aria-label": label, "aria-pressed": "false", class: `wheel-key ring-${entry.letter}` });
    group.dataset.key = entry.key;
    group.dataset.scale = entry.scale;
    const ring = RINGS[entry.letter];
    group.append(svg("path", { d: segment(entry.number, ring) }));
    const [x, y] = point((ring[0] + ring[1]) / 2, (entry.number * 2 * Math.PI) / 12);
    const text = svg("text", { x, y, "text-anchor": "middle", "dominant-baseline": "central" });
    text.textContent = `${entry.number}${entry.letter}`;
    const name = svg("title", {});
    name.textContent = label;
    group.append(text, name);
    const pick = () => {
      const chosen = group.getAttribute("aria-pressed") === "true";
      onPick(chosen ? null : entry.key, chosen ? null : entry.scale);
    };
    group.addEventListener("click", pick);
    group.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
      pick();
    });
    buttons.push(group);
    root.append(group);
  }
  return {
    el: root,
    /** Mark the chosen key (and, lighter, its compatible neighbours). */
    show(key, scale, compatible) {
      const chosen = buttons.find((b) => b.dataset.key === key && b.dataset.scale === scale);
      const number = chosen ? Number(chosen.querySelector("text").textContent.slice(0, -1)) : 0;
      for (const button of buttons) {
        const on = button === chosen;
        button.setAttribute("aria-pressed", String(on));
        const n = Number(button.querySelector("text").textContent.slice(0, -1));
        const near = compatible && chosen && !on && ((button.dataset.scale === scale && [1, 11].includes((n - number + 12) % 12)) || (button.dataset.scale !== scale && n === number));
        button.classList.toggle("is-near", Boolean(near));
      }
    },
  };
}
