"""Instant preview: from a click on a card's play button to the first sound, in Chromium;
then the time to render a matched WAV of a 30 s sample (bench.matched_render).

The first sound is the audio element's first `playing` event with `currentTime > 0`. The
library is a real cratedig API (uvicorn, local storage, SQLite) on loopback; the pointer
rests on each card for a moment before the click, as a hand does, so the hover preload runs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from bench import matched_render
from bench.table import print_table
from tests.browser.server import CHROMIUM, CHROMIUM_ARGS
from tests.browser.webapp import Seed, running_webapp

TARGET_MS = 300.0
# Start timing at the press (before Playwright's click lands), stop at the first sound.
ARM = """() => {
  const audio = document.getElementById("audio");
  window.firstSound = new Promise((resolve) => {
    let started = null;
    let playing = false;
    const press = () => { started = performance.now(); };
    addEventListener("pointerdown", press, { capture: true, once: true });
    const onPlaying = () => { playing = true; };
    audio.addEventListener("playing", onPlaying);
    const poll = setInterval(() => {
      if (started !== null && playing && audio.currentTime > 0) {
        clearInterval(poll);
        audio.removeEventListener("playing", onPlaying);
        resolve(performance.now() - started);
      }
    }, 1);
  });
}"""


MATCHED_TARGET_MS = 100.0
# With matching on, the first sound is what leaves the stretcher: the graph's output level.
ARM_MATCHED = """() => {
  const graph = window.cratedig.graph;
  window.firstSound = new Promise((resolve) => {
    let started = null;
    const press = () => { started = performance.now(); };
    addEventListener("pointerdown", press, { capture: true, once: true });
    const poll = setInterval(() => {
      if (started !== null && graph.stretching && graph.level() > 0.001) {
        clearInterval(poll);
        resolve(performance.now() - started);
      }
    }, 1);
  });
}"""


def seeds(count: int, seconds: float) -> tuple[Seed, ...]:
    """`count` distinct clips (file names differ, so each is its own sample)."""
    return tuple(
        Seed(f"clip{n:02d}.mp3", f"Clip {n:02d}", 80.0 + n, "A", "minor", (), seconds=seconds)
        for n in range(count)
    )


def measure(page: Page, base: str, engine: str, hover_ms: int) -> list[float]:
    """Play every card once, in order; milliseconds from press to first sound, each."""
    page.goto(base + "/")
    page.wait_for_selector(".card canvas[data-state=drawn]")
    if engine == "hls.js":
        page.evaluate("() => { const p = window.cratedig.player; p.native = false; p.warm(); }")
        page.wait_for_function("() => window.Hls !== undefined")  # loaded at idle, as in use
    elif engine == "native":
        page.evaluate("() => { window.cratedig.player.native = true; }")
    timings = []
    for button in page.locator(".card .play").all():
        button.hover()
        page.wait_for_timeout(hover_ms)
        page.evaluate(ARM)
        button.click()
        timings.append(float(page.evaluate("window.firstSound")))
    page.evaluate("() => window.cratedig.player.stop()")
    return timings


def measure_matched(page: Page, base: str, hover_ms: int) -> list[float]:
    """Like `measure`, with a project set: each click to the first stretched sound, in ms."""
    page.goto(base + "/?project_bpm=96&project_key=C&project_scale=major")
    page.wait_for_selector(".card canvas[data-state=drawn]")
    page.wait_for_function("() => window.Hls !== undefined && window.cratedig.graph.stretch")
    timings = []
    for button in page.locator(".card .play").all():
        button.hover()
        page.wait_for_timeout(hover_ms)
        page.evaluate("() => window.cratedig.player.stop()")  # silence: the next sound is new
        page.wait_for_function("() => window.cratedig.graph.level() < 0.0005")
        page.evaluate(ARM_MATCHED)
        button.click()
        timings.append(float(page.evaluate("window.firstSound")))
    page.evaluate("() => window.cratedig.player.stop()")
    return timings


def matched_rows(browser: Browser, base: str, hover_ms: int) -> list[list[str]]:
    """Rows for matched previews (time-stretched and pitch-shifted in the AudioWorklet)."""
    rows = []
    for hover in (hover_ms, 0):
        context = browser.new_context()
        timings = sorted(measure_matched(context.new_page(), base, hover))
        context.close()
        cells = row("matched (hls.js → stretcher)", hover, timings)
        cells[-1] = "yes" if statistics.median(timings) <= MATCHED_TARGET_MS else "no"
        rows.append(cells)
    return rows


def row(engine: str, hover_ms: int, timings: list[float]) -> list[str]:
    """One table row: median, p90 and max of sorted `timings`, and whether max meets the target."""
    p90 = timings[min(len(timings) - 1, round(0.9 * (len(timings) - 1)))]
    return [
        engine,
        f"{hover_ms} ms" if hover_ms else "none",
        f"{statistics.median(timings):.0f}",
        f"{p90:.0f}",
        f"{timings[-1]:.0f}",
        "yes" if timings[-1] <= TARGET_MS else "no",
    ]


def main(argv: list[str] | None = None) -> int:
    """Print median, p90 and max time to first sound per engine, against the 300 ms target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each clip")
    parser.add_argument("--hover-ms", type=int, default=150, help="pointer rest before click")
    parser.add_argument("--matched-only", action="store_true", help="only the matched rows")
    args = parser.parse_args(argv)
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="cratedig-bench-") as tmp,
        # A busy machine processes the clips slowly: that is not what is measured here.
        running_webapp(Path(tmp), seeds(args.samples, args.seconds), ready_timeout=600) as web,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for engine in () if args.matched_only else ("default", "hls.js", "native"):
            for hover in (args.hover_ms, 0):
                context = browser.new_context()  # a cold HTTP cache per run
                page = context.new_page()
                timings = sorted(measure(page, web.base, engine, hover))
                used = page.evaluate("window.cratedig.player.engine")
                context.close()
                rows.append(
                    row(f"{engine} ({used})" if engine == "default" else engine, hover, timings)
                )
        rows.extend(matched_rows(browser, web.base, args.hover_ms))
        browser.close()
    print_table(
        f"Instant preview: press on play → first sound, {args.samples} samples of "
        f"{args.seconds:g} s, Chromium, loopback (ms; target: max ≤ {TARGET_MS:.0f}, "
        f"matched: median ≤ {MATCHED_TARGET_MS:.0f})",
        ["engine", "hover before click", "median", "p90", "max", "meets target"],
        rows,
    )
    if not args.matched_only:
        matched_render.report()  # the first matched download of a sample renders it
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
