// The page's entry: client-side routes over the History API, links, keyboard shortcuts.

import { graph } from "./audio.js";
import { crate } from "./crate.js";
import { mountCratePanel } from "./cratepanel.js";
import { isEditable } from "./dom.js";
import { mountHeader } from "./header.js";
import * as library from "./library.js";
import { loopPlayer } from "./loops.js";
import { keepProjectInUrl, project, setProject } from "./match.js";
import * as operations from "./operations.js";
import { player } from "./player.js";
import { mountPlayerBar } from "./playerbar.js";
import * as samplePage from "./sample.js";
import * as submit from "./submit.js";

const ROUTES = [
  { name: "library", pattern: /^\/$/, view: library },
  { name: "sample", pattern: /^\/samples\/([^/]+)\/?$/, view: samplePage, params: (m) => ({ id: decodeURIComponent(m[1]) }) },
  { name: "submit", pattern: /^\/submit\/?$/, view: submit },
  { name: "operations", pattern: /^\/operations\/?$/, view: operations },
];

const main = document.getElementById("main");
let active = null; // {route, key, view}

function match(pathname) {
  for (const route of ROUTES) {
    const found = route.pattern.exec(pathname);
    if (found) return { route, params: route.params ? route.params(found) : {} };
  }
  return null;
}

function render({ moveFocus }) {
  keepProjectInUrl(); // a page opened without the project's parameters gets them back
  const found = match(location.pathname);
  const key = location.pathname;
  if (found && active && active.route === found.route && active.key === key && active.view?.update) {
    active.view.update(); // same page, other query (filters): no remount
    return;
  }
  active?.view?.unmount?.();
  active = null;
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (found && link.dataset.nav === (found.route.name === "sample" ? "library" : found.route.name)) {
      link.setAttribute("aria-current", "page");
    } else {
      link.removeAttribute("aria-current");
    }
  }
  if (!found) {
    document.title = "Not found · cratedig";
    main.replaceChildren();
    const heading = document.createElement("h1");
    heading.textContent = "Page not found";
    const back = document.createElement("a");
    back.href = "/";
    back.textContent = "Back to the library";
    main.append(heading, back);
    return;
  }
  const view = found.route.view.mount(main, found.params);
  active = { route: found.route, key, view };
  if (moveFocus) {
    window.scrollTo(0, 0);
    main.focus({ preventScroll: true }); // screen readers start reading the new page
  }
}

/** Show another page without reloading (the player keeps playing). */
export function navigate(href) {
  const url = new URL(href, location.href);
  if (url.href === location.href) return;
  history.replaceState({ ...history.state, scroll: window.scrollY }, ""); // back returns here
  history.pushState(null, "", url.pathname + url.search + url.hash);
  const samePage = match(url.pathname) && active && active.key === url.pathname;
  render({ moveFocus: !samePage });
}

document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
  if (!link || link.target || link.hasAttribute("download")) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || !match(url.pathname)) return;
  event.preventDefault();
  navigate(url.href);
});

window.addEventListener("popstate", () => render({ moveFocus: false }));

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
  if (isEditable(event.target)) return; // typing in a field
  // Space on these activates them (a waveform slider does not use Space: it toggles play).
  const onControl = event.target instanceof Element && event.target.closest("button, a, summary, video, audio");
  if (event.key === " " || event.code === "Space") {
    if (onControl) return; // Space activates the focused control itself
    if (!player.current && !player.queue.length) return;
    event.preventDefault();
    player.toggle();
  } else if (event.key === "ArrowRight" || event.key === "j" || event.key === "J") {
    if (!player.queue.length) return;
    event.preventDefault();
    player.next();
  } else if (event.key === "ArrowLeft" || event.key === "k" || event.key === "K") {
    if (!player.queue.length) return;
    event.preventDefault();
    player.previous();
  }
});

window.cratedig = { player, navigate, graph, loopPlayer, crate, project, setProject }; // console, tests
history.scrollRestoration = "manual"; // the library restores its scroll once its rows are back
mountCratePanel(document.getElementById("crate-panel"), mountHeader(document.getElementById("header-tools")));
mountPlayerBar(document.getElementById("player-bar"));
render({ moveFocus: false });
