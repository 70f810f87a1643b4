"""The HLS output plays in hls.js inside a real (headless) Chromium, to the very end."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from cratedig.media.process import process_file
from tests.browser.server import serve_directory
from tests.fixtures.media import make_clip

HLS_JS = Path(__file__).parents[2] / "web" / "node_modules" / "hls.js" / "dist" / "hls.min.js"
PAGE = """<!doctype html><meta charset="utf-8"><title>hls</title>
<audio id="player"></audio>
<script src="hls.min.js"></script>
<script>
  window.report = {errors: [], ended: false};
  const player = document.getElementById("player");
  player.addEventListener("ended", () => { window.report.ended = true; });
  const hls = new Hls();
  hls.on(Hls.Events.ERROR, (_, data) => window.report.errors.push(data.details));
  hls.on(Hls.Events.MANIFEST_PARSED, () => player.play().catch(
    (err) => window.report.errors.push(String(err))));
  hls.loadSource("hls/playlist.m3u8");
  hls.attachMedia(player);
</script>"""


def test_hls_js_plays_the_stream_from_start_to_end(tmp_path: Path, browser: Browser) -> None:
    if not HLS_JS.exists():
        pytest.fail(f"{HLS_JS} is missing: run `make test`, which installs the web packages")
    site = tmp_path / "site"
    process_file(make_clip(tmp_path / "clip.mp3", 7.3), site)
    shutil.copy(HLS_JS, site / "hls.min.js")
    (site / "index.html").write_text(PAGE)
    page = browser.new_page()
    with serve_directory(site) as base:
        page.goto(f"{base}/index.html")
        page.wait_for_function("document.getElementById('player').currentTime > 1.0", timeout=15000)
        duration = page.evaluate("document.getElementById('player').duration")
        assert duration == pytest.approx(7.3, abs=0.1)
        # Jump near the end: the last segments must load and play through to `ended`.
        page.evaluate("document.getElementById('player').currentTime = 6.0")
        page.wait_for_function("window.report.ended", timeout=15000)
        assert page.evaluate("window.report.errors") == []
