"""The web page in a real (headless) Chromium against a real API with a processed library."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from cratedig.samples.naming import rounded_bpm
from cratedig.web.bundle import load_bundle
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.webapp import MISSING, SEEDS, WebApp, running_webapp
from tests.fixtures.http_server import Route as MediaRoute
from tests.fixtures.media import make_clip

ARTIFACTS = Path(__file__).parent / "artifacts"
ALL_TITLES = {seed.title for seed in SEEDS}
AUDIO = "document.getElementById('audio')"
WAVEFORM_DATA = re.compile(r"waveform\.json")
CARD_HEIGHTS = "() => [...document.querySelectorAll('.card')].map((c) => c.offsetHeight)"
# Every text the submit page's progress line shows, in order.
RECORD_STATES = """() => {
  window.states = [];
  const record = () => {
    const state = document.querySelector('.tracker .state');
    const text = state ? state.textContent : '';
    if (text && text !== window.states.at(-1)) window.states.push(text);
  };
  const options = {subtree: true, childList: true, characterData: true};
  new MutationObserver(record).observe(document.getElementById('main'), options);
}"""


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebApp]:
    """The API on a loopback port, its library seeded by really processing clips."""
    with running_webapp(tmp_path_factory.mktemp("web")) as app:
        yield app


def set_theme(page: Page, theme: str) -> None:
    """Switch the page's theme as the header's button does (remembered, canvases repainted)."""
    page.evaluate(
        """(theme) => {
          localStorage.setItem('cratedig.theme', theme);
          document.documentElement.dataset.theme = theme;
          window.dispatchEvent(new Event('themechange'));
        }""",
        theme,
    )


def screenshots(page: Page, name: str) -> None:
    """Save the page in both themes at desktop and phone width (full length) as artifacts."""
    ARTIFACTS.mkdir(exist_ok=True)
    for theme in ("dark", "light"):
        set_theme(page, theme)
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            page.wait_for_timeout(150)  # let the rows and canvases settle at the new width
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= size["width"], f"{name} overflows sideways at {size['width']} px"
            # A viewport as tall as the page, so the sticky player bar sits at its end.
            height = page.evaluate("document.documentElement.scrollHeight")
            page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
            page.wait_for_timeout(100)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{theme}-{label}.png"))
    set_theme(page, "dark")
    page.set_viewport_size(DESKTOP)


def titles(page: Page) -> set[str]:
    """The titles of the cards shown."""
    return set(page.locator(".card .card-title").all_inner_texts())


def expect_titles(page: Page, expected: set[str], *, exact: bool = True) -> None:
    """Wait until exactly these cards (or, not exact, at least these) are shown, not loading."""
    script = """([want, exact]) => {
      if (document.querySelector('.grid[aria-busy]')) return false;
      const cards = document.querySelectorAll('.card .card-title');
      const got = new Set([...cards].map((e) => e.textContent));
      return want.every((t) => got.has(t)) && (!exact || got.size === want.length);
    }"""
    try:
        page.wait_for_function(script, arg=[sorted(expected), exact], timeout=10000)
    except PlaywrightTimeout:
        assert titles(page) == expected if exact else titles(page) >= expected


def painted_fraction(page: Page, selector: str) -> float:
    """Share of a canvas' pixels that are not transparent."""
    script = """(selector) => {
      const canvas = document.querySelector(selector);
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted += 1;
      return painted / (data.length / 4);
    }"""
    return float(page.evaluate(script, selector))


def card(web: WebApp, title: str) -> str:
    """The selector of a seeded sample's card."""
    return f'.card[data-sample-id="{web.samples[title]}"]'


class TestLibrary:
    def test_cards_show_facts_and_drawn_waveforms_without_layout_shift(
        self, web: WebApp, page: Page
    ) -> None:
        held: list[Route] = []

        def hold(route: Route) -> None:
            held.append(route)  # the waveforms' data waits until the layout was measured

        page.route(WAVEFORM_DATA, hold)
        page.goto(web.base + "/")
        page.wait_for_function(f"() => document.querySelectorAll('.card').length >= {len(SEEDS)}")
        page.wait_for_function(
            f"() => document.querySelectorAll('.card canvas').length >= {len(SEEDS)}"
        )
        assert titles(page) >= ALL_TITLES
        wave = f"{card(web, 'Dusty boom bap loop')} canvas"
        assert page.locator(wave).get_attribute("data-state") == "loading"
        before = page.evaluate(CARD_HEIGHTS)
        for route in held:
            route.continue_()
        page.unroute(WAVEFORM_DATA, hold)
        page.wait_for_selector(f"{wave}[data-state=drawn]")
        page.wait_for_function("() => !document.querySelector('.card canvas[data-state=loading]')")
        after = page.evaluate(CARD_HEIGHTS)
        assert after == before  # the canvas' height was reserved: nothing moved
        assert painted_fraction(page, wave) > 0.05

        boom_bap = page.locator(card(web, "Dusty boom bap loop"))
        assert "90 BPM" in boom_bap.inner_text()
        assert "A minor (8A)" in boom_bap.inner_text()
        assert "0:08" in boom_bap.inner_text()
        assert boom_bap.get_by_role("link", name="@beatsmith").is_visible()
        assert boom_bap.get_by_role("link", name="#boombap").is_visible()
        cover = boom_bap.locator(".cover img")
        assert cover.evaluate("(img) => img.complete && img.naturalWidth > 0")
        screenshots(page, "library")

    def test_bpm_filter_is_in_the_url_and_back_restores(self, web: WebApp, page: Page) -> None:
        page.goto(web.base + "/")
        expect_titles(page, ALL_TITLES, exact=False)
        # Typed tempos apply while typing (no Enter, no leaving the field).
        page.get_by_label("BPM from").fill("85")
        page.wait_for_url(re.compile(r"bpm_min=85$"))
        page.get_by_label("BPM to").fill("95")
        page.wait_for_url(re.compile(r"bpm_min=85&bpm_max=95"))
        expect_titles(page, {"Dusty boom bap loop", "Slow piano ballad", "Lazy soul chops"})

        # Each applied change is a history entry.
        page.go_back()
        expect(page).to_have_url(web.base + "/?bpm_min=85")
        assert page.get_by_label("BPM from").input_value() == "85"
        assert page.get_by_label("BPM to").input_value() == ""
        expect_titles(page, ALL_TITLES, exact=False)  # every seed is at 85 BPM or more
        page.go_back()
        expect(page).to_have_url(web.base + "/")
        assert page.get_by_label("BPM from").input_value() == ""

        page.go_forward()
        page.go_forward()
        expect(page).to_have_url(re.compile(r"bpm_min=85&bpm_max=95"))
        expect_titles(page, {"Dusty boom bap loop", "Slow piano ballad", "Lazy soul chops"})
        assert page.get_by_label("BPM to").input_value() == "95"

    def test_key_filter_with_compatible_keys(self, web: WebApp, page: Page) -> None:
        page.goto(web.base + "/")
        page.get_by_text("Key: any").click()  # the Camelot wheel opens
        page.get_by_role("button", name="A minor (8A)").click()
        page.wait_for_url(re.compile(r"key=A&scale=minor$"))
        expect(page.locator(".key-picker summary")).to_have_text("Key: A minor (8A)")
        expect_titles(page, {"Dusty boom bap loop"})

        page.get_by_label("Compatible keys").check()
        page.wait_for_url(re.compile(r"compatible=true"))
        # Same key, the relative major (C) and the neighbours a fifth away (D minor, E minor).
        expect_titles(
            page,
            {
                "Dusty boom bap loop",
                "Four on the floor house",
                "Dark drill melody",
                "Lazy soul chops",
            },
        )
        page.go_back()
        expect_titles(page, {"Dusty boom bap loop"})
        assert not page.get_by_label("Compatible keys").is_checked()

    def test_shared_link_opens_filtered_and_tag_links_filter(self, web: WebApp, page: Page) -> None:
        page.goto(web.base + "/?tags=lofi&sort=bpm_asc")
        expect_titles(page, {"Dusty boom bap loop", "Slow piano ballad"})
        assert page.locator(".card .card-title").all_inner_texts() == [
            "Slow piano ballad",
            "Dusty boom bap loop",
        ]
        assert page.get_by_label("Tags", exact=True).input_value() == "lofi"
        assert page.locator(card(web, "Dark drill melody")).count() == 0
        page.get_by_label("Tags", exact=True).fill("")
        page.get_by_label("Tags", exact=True).press("Enter")
        expect_titles(page, ALL_TITLES, exact=False)
        page.locator(card(web, "Dark drill melody")).get_by_role("link", name="#drill").click()
        page.wait_for_url(re.compile(r"tags=drill"))
        expect_titles(page, {"Dark drill melody"})


class TestPreview:
    def test_play_seek_and_space(self, web: WebApp, page: Page) -> None:
        page.goto(web.base + "/?bpm_min=89&bpm_max=91")
        expect_titles(page, {"Dusty boom bap loop"})
        wave = page.locator(f"{card(web, 'Dusty boom bap loop')} canvas")
        page.get_by_role("button", name="Play Dusty boom bap loop").click()
        page.wait_for_function(f"{AUDIO}.currentTime > 0.3")
        assert page.evaluate(f"!{AUDIO}.paused")
        assert page.evaluate("window.cratedig.player.engine") == "hls.js"  # MSE in Chromium
        boom_bap = page.locator(card(web, "Dusty boom bap loop"))
        assert boom_bap.get_by_role("button", name="Pause Dusty boom bap loop").is_visible()

        box = wave.bounding_box()
        assert box is not None
        wave.click(position={"x": box["width"] * 0.75, "y": box["height"] / 2})
        page.wait_for_function(f"{AUDIO}.currentTime > 5.2")
        position = page.evaluate(f"{AUDIO}.currentTime")
        assert 5.2 < position < 7.2  # 75 % of 8 s, plus what played since
        page.wait_for_function("() => document.querySelector('.player-bar:not([hidden])')")
        assert painted_fraction(page, f"{card(web, 'Dusty boom bap loop')} canvas") > 0.05

        page.keyboard.press("Space")  # focus is on the waveform: Space pauses
        page.wait_for_function(f"{AUDIO}.paused")
        paused_at = page.evaluate(f"{AUDIO}.currentTime")
        page.wait_for_timeout(300)
        assert page.evaluate(f"{AUDIO}.currentTime") == paused_at
        page.keyboard.press("Space")
        page.wait_for_function(f"!{AUDIO}.paused && {AUDIO}.currentTime > {paused_at}")

    def test_one_sample_at_a_time_and_next_previous_keys(self, web: WebApp, page: Page) -> None:
        page.goto(web.base + "/?sort=bpm_asc&bpm_min=80&bpm_max=130")
        order = [
            "Slow piano ballad",
            "Dusty boom bap loop",
            "Lazy soul chops",
            "Four on the floor house",
        ]
        expect_titles(page, set(order))
        assert page.locator(".card .card-title").all_inner_texts() == order
        current = "window.cratedig.player.current && window.cratedig.player.current.id"

        play = re.compile(r"^Play ")
        page.locator(card(web, "Slow piano ballad")).get_by_role("button", name=play).click()
        page.wait_for_function(f"{AUDIO}.currentTime > 0.1")
        page.locator(card(web, "Dusty boom bap loop")).get_by_role("button", name=play).click()
        page.wait_for_function(
            f"({current}) === '{web.samples['Dusty boom bap loop']}' && {AUDIO}.currentTime > 0.1"
        )
        assert page.get_by_role("button", name="Play Slow piano ballad").is_visible()  # stopped

        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"({current}) === '{web.samples['Lazy soul chops']}'")
        page.wait_for_function(f"{AUDIO}.currentTime > 0.1")
        assert page.locator(card(web, "Lazy soul chops")).evaluate(
            "(c) => c.classList.contains('is-current')"
        )
        page.keyboard.press("k")
        page.wait_for_function(f"({current}) === '{web.samples['Dusty boom bap loop']}'")
        page.keyboard.press("j")
        page.wait_for_function(f"({current}) === '{web.samples['Lazy soul chops']}'")
        page.get_by_label("BPM from").fill("81")  # typing in a field: keys are the field's
        page.get_by_label("BPM from").press("ArrowLeft")
        page.get_by_label("BPM from").press("Space")
        assert page.evaluate(current) == str(web.samples["Lazy soul chops"])
        assert not page.evaluate(f"{AUDIO}.paused")


def test_sample_page_shows_media_facts_downloads_and_similar(web: WebApp, page: Page) -> None:
    sample_id = web.samples["Dusty boom bap loop"]
    page.goto(f"{web.base}/samples/{sample_id}")
    page.get_by_role("heading", name="Dusty boom bap loop", level=1).wait_for()
    assert page.title() == "Dusty boom bap loop · cratedig"
    video = page.locator("video")
    assert "/media/" in (video.get_attribute("src") or "")
    expect(page.locator(".creator-card .followers")).to_have_text("12.3K followers")
    info = page.locator(".sample-info").inner_text()
    for fact in (
        "90 BPM",
        "A minor (8A)",
        "LUFS",
        "0:08",
        "Beat Smith",
        "@beatsmith",
        "12.3K followers",
    ):
        assert fact in info
    assert page.locator(".creator-card .visually-hidden").inner_text().strip() == "(verified)"
    wav = page.get_by_role("link", name="Download WAV")
    assert wav.get_attribute("href") == f"/api/v1/samples/{sample_id}/download?format=wav"
    assert page.get_by_role("link", name="Download MP3").get_attribute("href") == (
        f"/api/v1/samples/{sample_id}/download?format=mp3"
    )
    downloaded = web.api("GET", f"/api/v1/samples/{sample_id}/download?format=wav")
    assert downloaded.status_code == 302
    assert "download=90bpm_Aminor_beatsmith_" in downloaded.headers["location"]

    similar = page.locator(".similar")
    similar.get_by_role("heading", name="Similar tempo and key").wait_for()
    assert set(similar.locator(".card-title").all_inner_texts()) == {"Lazy soul chops"}
    page.wait_for_selector(".sample-page canvas[data-state=drawn]")
    page.get_by_role("button", name="Play Dusty boom bap loop").click()
    page.wait_for_function(f"{AUDIO}.currentTime > 0.2")
    screenshots(page, "sample")

    similar.get_by_role("link", name="Lazy soul chops", exact=True).click()  # player keeps on
    page.get_by_role("heading", name="Lazy soul chops", level=1).wait_for()
    assert page.url == f"{web.base}/samples/{web.samples['Lazy soul chops']}"
    assert not page.evaluate(f"{AUDIO}.paused")
    page.go_back()
    page.get_by_role("heading", name="Dusty boom bap loop", level=1).wait_for()


def test_unknown_sample_says_so(web: WebApp, page: Page) -> None:
    page.goto(f"{web.base}/samples/{uuid.uuid4()}")
    page.get_by_role("heading", name="Sample not found").wait_for()
    assert page.get_by_role("alert").inner_text() == "There is no such sample."


class TestSubmit:
    def test_submitted_url_is_followed_to_completed(
        self, web: WebApp, page: Page, tmp_path: Path
    ) -> None:
        clip = make_clip(tmp_path / "fresh.mp3", 6.0)  # a groove: it has a tempo
        web.media.routes["/fresh.mp3"] = MediaRoute(
            body=clip.read_bytes(), headers={"Content-Type": "audio/mpeg"}
        )
        page.goto(web.base + "/submit")
        page.evaluate(RECORD_STATES)
        page.get_by_label("Video URL").fill(f"{web.media.base}/fresh.mp3")
        page.get_by_role("button", name="Submit", exact=True).click()
        tracker = page.locator(".tracker")
        tracker.wait_for()
        tracker.and_(page.locator("[data-status=completed]")).wait_for(timeout=30000)
        states: list[str] = page.evaluate("window.states")
        assert re.fullmatch(r"Waiting in the queue…|Step \d of \d: [a-z ]+", states[0]), states
        assert states[-1] == "Completed"
        link = tracker.get_by_role("link", name="Open the sample")
        sample_id = link.get_attribute("href").rsplit("/", 1)[-1]
        sample = web.api("GET", f"/api/v1/samples/{sample_id}").json()
        assert sample["status"] == "completed"
        # The finished sample is playable right there, with its tempo and key.
        finished = tracker.locator(".finished")
        assert f"{rounded_bpm(sample['bpm'])} BPM" in finished.inner_text()
        assert sample["key"] is None or sample["key"] in finished.inner_text()
        finished.get_by_role("button", name=re.compile(r"^Play ")).click()
        page.wait_for_function(f"{AUDIO}.currentTime > 0.2")
        screenshots(page, "submit")
        link.click()
        page.wait_for_url(f"{web.base}/samples/{sample_id}")

    def test_api_error_is_shown_inline(self, web: WebApp, page: Page) -> None:
        url = "https://media.example.org/not-allowed.mp4"
        expected = web.api("POST", "/api/v1/samples", json={"url": url})
        assert expected.status_code == 422
        page.goto(web.base + "/submit")
        page.get_by_label("Video URL").fill(url)
        page.get_by_label("Video URL").press("Enter")
        alert = page.locator("#submit-error")
        alert.and_(page.get_by_text(expected.json()["error"]["message"])).wait_for()
        assert alert.get_attribute("role") == "alert"
        assert page.get_by_label("Video URL").get_attribute("aria-invalid") == "true"


def test_operations_dry_run_then_confirm(web: WebApp, page: Page) -> None:
    page.goto(web.base + "/operations")
    failed = page.locator(f'.queue-list li[data-sample-id="{web.failed}"]')
    failed.wait_for()
    assert "not_found" in failed.inner_text()
    assert failed.get_by_role("button", name=re.compile(r"^Retry ")).is_visible()
    screenshots(page, "operations-pipeline")

    page.get_by_role("tab", name="Operations").click()  # sections are tabs, not one long page
    assert not failed.is_visible()
    form = page.locator("form[data-operation=reprocess]")
    form.get_by_label("Status").select_option("failed")
    form.get_by_role("button", name="Dry run").click()
    dry_run = form.get_by_role("list", name="Samples in the dry run")
    dry_run.wait_for()
    assert MISSING in dry_run.inner_text()
    assert "Nothing was changed" in form.locator(".op-message").inner_text()
    screenshots(page, "operations")

    form.get_by_role("button", name="Confirm: reprocess 1 sample").click()
    form.get_by_text(re.compile(r"^Started reprocessing 1 samples")).wait_for()
    operations: list[dict[str, Any]] = web.api("GET", "/api/v1/operations").json()
    started = next(op for op in operations if op["kind"] == "reprocess" and not op["dry_run"])
    shown = page.locator(f'.operation[data-operation-id="{started["id"]}"]')
    shown.wait_for()
    assert shown.get_attribute("data-dry-run") == "false"
    assert "reprocess" in shown.inner_text()
    dry = next(op for op in operations if op["kind"] == "reprocess" and op["dry_run"])
    assert "dry run" in page.locator(f'.operation[data-operation-id="{dry["id"]}"]').inner_text()


def test_assets_are_hashed_long_cached_and_the_api_is_not_shadowed(web: WebApp) -> None:
    shell = web.api("GET", "/operations")
    assert shell.status_code == 200
    assert shell.headers["cache-control"] == "no-cache"
    assert web.api("GET", "/", headers={"If-None-Match": shell.headers["etag"]}).status_code == 304
    html = shell.text
    import_map = json.loads(re.search(r'<script type="importmap">(.*?)</script>', html, re.S)[1])
    urls = set(import_map["imports"].values())
    urls |= set(re.findall(r'(?:href|src|data-hls-src)="(/assets/[^"]+)"', html))
    assert any(u.startswith("/assets/hls.min.") for u in urls)
    for url in urls:
        answer = web.api("GET", url, headers={"Accept-Encoding": "identity"})
        assert answer.status_code == 200, url
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert url.rsplit(".", 2)[-2] == hashlib.sha256(answer.content).hexdigest()[:8]
    packed = web.api(
        "GET", import_map["imports"]["/assets/app.js"], headers={"Accept-Encoding": "gzip"}
    )
    assert packed.headers["content-encoding"] == "gzip"
    assert web.api("GET", "/assets/app.js").headers["cache-control"] == "no-cache"
    missing = web.api("GET", "/assets/nothing.12345678.js")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"

    assert web.api("GET", "/api/v1/samples").json()["items"]
    assert web.api("GET", "/health").json()["status"] == "ok"
    assert web.api("GET", "/docs").status_code == 200
    paths = web.api("GET", "/openapi.json").json()["paths"]
    assert not [path for path in paths if not path.startswith(("/api/", "/media/", "/health"))]
    sample_page = web.api("GET", f"/samples/{web.samples['Dusty boom bap loop']}")
    assert sample_page.headers["content-type"].startswith("text/html")


def test_missing_hls_js_names_the_install_command(tmp_path: Path) -> None:
    bundle = load_bundle(hls_js=tmp_path / "hls.min.js")
    assert bundle.problem is not None
    assert "cd web && npm ci" in bundle.problem
    assert "hls.min.js" not in bundle.by_name


def test_the_stretcher_is_mapped_but_loaded_only_on_demand(tmp_path: Path) -> None:
    bundle = load_bundle()
    stretcher = bundle.by_name["signalsmith-stretch.mjs"]
    assert stretcher.media_type.startswith("text/javascript")
    assert f'"/assets/signalsmith-stretch.mjs": "{stretcher.url}"' in bundle.shell
    assert f'rel="modulepreload" href="{stretcher.url}"' not in bundle.shell
    missing = load_bundle(stretch_js=tmp_path / "SignalsmithStretch.mjs")
    assert missing.problem is not None
    assert "SignalsmithStretch.mjs" in missing.problem and "cd web && npm ci" in missing.problem
