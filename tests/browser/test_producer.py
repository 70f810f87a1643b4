"""The producer's library in Chromium: themes, dense rows, filters, confidence, matching, loops."""

from __future__ import annotations

import io
import re
import wave
import zipfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from cratedig.models import Sample
from cratedig.samples.naming import rounded_bpm
from tests.browser.conftest import PHONE
from tests.browser.test_web import ALL_TITLES, AUDIO, card, expect_titles, screenshots
from tests.browser.webapp import WebApp, running_webapp

UNSURE = "Slow piano ballad"
BOOM_BAP = "Dusty boom bap loop"
PROJECT = "project_bpm=99&project_key=C&project_scale=major"  # boom bap (90, A minor): ×1.10, ±0
SLIDE = "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }"
BACKGROUND = "getComputedStyle(document.documentElement).backgroundColor"
# Media seconds per audio-clock second, measured over `ms` of playback.
PLAYBACK_RATE = """async (ms) => {
  const audio = document.getElementById('audio');
  const clock = window.cratedig.graph.context;
  const t0 = [audio.currentTime, clock.currentTime];
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (audio.currentTime - t0[0]) / (clock.currentTime - t0[1]);
}"""


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebApp]:
    """A processed library; one sample's tempo is a guess, the boom bap's cover is broken."""
    with running_webapp(tmp_path_factory.mktemp("producer")) as app:
        with app.runtime.transaction() as session:
            for title, sample_id in app.samples.items():
                sample = session.get(Sample, sample_id)
                assert sample is not None
                sample.bpm_confidence, sample.key_confidence = 0.9, 0.9
                if title == UNSURE:
                    sample.bpm_confidence = 0.2
                    sample.bpm_candidates = [
                        {"bpm": 88.0, "confidence": 0.2},
                        {"bpm": 176.0, "confidence": 0.15},
                    ]
                if title == BOOM_BAP:
                    sample.cover_key = f"samples/{sample_id}/gone-cover.jpg"  # answers 404
        yield app


def rgb(css: str) -> tuple[int, ...]:
    """`rgb(15, 16, 18)` → (15, 16, 18)."""
    return tuple(int(n) for n in re.findall(r"\d+", css)[:3])


def sample_json(web: WebApp, title: str) -> dict[str, Any]:
    """The API's document of a seeded sample."""
    body: dict[str, Any] = web.api("GET", f"/api/v1/samples/{web.samples[title]}").json()
    return body


class TestLook:
    def test_dark_by_default_and_light_is_remembered(self, web: WebApp, page: Page) -> None:
        page.goto(web.base + "/")
        expect_titles(page, ALL_TITLES)
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        assert max(rgb(page.evaluate(BACKGROUND))) < 40
        page.get_by_role("button", name="Switch to the light theme").click()
        assert min(rgb(page.evaluate(BACKGROUND))) > 220
        page.reload()
        expect_titles(page, ALL_TITLES)
        assert page.evaluate("document.documentElement.dataset.theme") == "light"
        page.get_by_role("button", name="Switch to the dark theme").click()
        assert max(rgb(page.evaluate(BACKGROUND))) < 40

    def test_dense_rows_by_default_and_the_grid_is_remembered(
        self, web: WebApp, page: Page
    ) -> None:
        page.goto(web.base + "/")
        expect_titles(page, ALL_TITLES)
        rows = page.locator(".rows .card.row")
        expect(rows).to_have_count(len(ALL_TITLES))
        row = page.locator(card(web, BOOM_BAP))
        for part in ("Dusty boom bap loop", "@beatsmith", "90 BPM", "A minor (8A)", "0:08"):
            assert part in row.inner_text()
        heights = page.evaluate(
            "[...document.querySelectorAll('.card.row')].map(r => r.offsetHeight)"
        )
        assert max(heights) <= 64  # dense: many samples on one screen
        wave = row.locator("canvas").bounding_box()
        assert wave is not None and wave["width"] >= 300 and wave["height"] >= 40  # prominent
        page.get_by_role("button", name="Grid").click()
        expect(page.locator(".grid .card")).to_have_count(len(ALL_TITLES))
        page.reload()
        expect(page.locator(".grid .card")).to_have_count(len(ALL_TITLES))
        assert page.locator(".card.row").count() == 0
        page.get_by_role("button", name="List").click()

    def test_a_guessed_tempo_is_marked_and_its_candidates_show_on_hover(
        self, web: WebApp, page: Page
    ) -> None:
        page.goto(web.base + "/")
        expect_titles(page, ALL_TITLES)
        unsure = page.locator(f"{card(web, UNSURE)} .bpm")
        assert unsure.inner_text() == "~88 BPM"
        assert "unsure" in (unsure.get_attribute("class") or "")
        assert unsure.get_attribute("title") == "Tempo candidates: 88 BPM 20 % · 176 BPM 15 %"
        sure = page.locator(f"{card(web, BOOM_BAP)} .bpm")
        assert sure.inner_text() == "90 BPM"
        assert "unsure" not in (sure.get_attribute("class") or "")

    def test_a_broken_cover_falls_back_to_the_thumbnail(self, web: WebApp, page: Page) -> None:
        page.goto(web.base + "/")
        cover = page.locator(f"{card(web, BOOM_BAP)} .cover img")
        page.wait_for_function(
            "(img) => img.complete && img.naturalWidth > 0",
            arg=cover.element_handle(),
        )
        assert "/thumbnail.jpg" in (cover.get_attribute("src") or "")


class TestFilters:
    def test_a_bad_range_reads_as_words_not_the_api_text(self, web: WebApp, page: Page) -> None:
        page.goto(web.base + "/")
        expect_titles(page, ALL_TITLES)
        page.get_by_label("BPM from").fill("120")
        page.get_by_label("BPM to").fill("90")
        problem = page.locator(".range-problem")
        expect(problem).to_have_text(
            "The lowest tempo (120 BPM) is above the highest (90 BPM): "
            "swap them or widen the range."
        )
        assert "bpm_min" not in page.locator("main").inner_text()
        assert page.get_by_label("BPM to").get_attribute("aria-invalid") == "true"
        page.get_by_label("BPM to").fill("130")
        expect(problem).to_have_text("")
        expect_titles(page, {"Four on the floor house"})

    def test_the_slider_sets_the_range_and_half_double_time_widens_it(
        self, web: WebApp, page: Page
    ) -> None:
        page.goto(web.base + "/")
        expect_titles(page, ALL_TITLES)
        slide = (
            "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }"
        )
        page.locator(".bpm-slider.low").evaluate(slide, 120)
        page.locator(".bpm-slider.high").evaluate(slide, 130)
        page.wait_for_url(re.compile(r"bpm_min=120&bpm_max=130$"))
        assert page.get_by_label("BPM from").input_value() == "120"
        expect_titles(page, {"Four on the floor house"})
        page.get_by_label("BPM from").fill("178")
        page.get_by_label("BPM to").fill("182")
        expect(page.locator(".result-status")).to_have_text("No samples match these filters.")
        page.get_by_label("½×/2×").check()
        page.wait_for_url(re.compile(r"tempo_multiples=true"))
        expect_titles(page, {BOOM_BAP})  # 90 BPM is half of 180

    def test_tag_chips_toggle_and_a_creator_filter_can_be_cleared(
        self, web: WebApp, page: Page
    ) -> None:
        page.goto(web.base + "/?creator=beatsmith")
        expect_titles(page, ALL_TITLES)
        lofi = page.locator(".tag-chips").get_by_role("button", name="#lofi")
        lofi.click()
        page.wait_for_url(re.compile(r"tags=lofi"))
        expect_titles(page, {BOOM_BAP, UNSURE})
        expect(lofi).to_have_attribute("aria-pressed", "true")
        lofi.click()
        page.wait_for_url(re.compile(r"/\?creator=beatsmith$"))
        expect(lofi).to_have_attribute("aria-pressed", "false")
        page.get_by_role("button", name="Stop filtering by @beatsmith").click()
        expect(page).to_have_url(web.base + "/")
        expect_titles(page, ALL_TITLES)

    def test_going_back_after_a_long_scroll_keeps_the_position(
        self, web: WebApp, page: Page
    ) -> None:
        page.set_viewport_size({"width": PHONE["width"], "height": 420})
        page.goto(web.base + "/?sort=bpm_asc")
        expect_titles(page, ALL_TITLES)
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        page.wait_for_timeout(400)  # the position is saved a moment after scrolling stops
        scrolled = page.evaluate("window.scrollY")
        assert scrolled > 200
        page.locator(card(web, "Dark drill melody")).get_by_role(
            "link", name="Dark drill melody", exact=True
        ).click()
        page.get_by_role("heading", name="Dark drill melody", level=1).wait_for()
        page.go_back()
        expect_titles(page, ALL_TITLES)
        page.wait_for_function(f"Math.abs(window.scrollY - {scrolled}) <= 2")


class TestMatching:
    def test_rows_show_ratio_and_shift_and_far_ones_are_dimmed(
        self, web: WebApp, page: Page
    ) -> None:
        page.goto(f"{web.base}/?{PROJECT}")
        expect_titles(page, ALL_TITLES)
        boom_bap = page.locator(card(web, BOOM_BAP))
        assert boom_bap.locator(".cell-match").inner_text() == "×1.10 · ±0 st"
        house = page.locator(card(web, "Four on the floor house"))  # 124 → 99: −20 %
        assert house.locator(".cell-match").inner_text() == "×0.80 · ±0 st"
        assert "too-far" in (house.get_attribute("class") or "")
        assert house.is_visible()
        assert float(house.evaluate("(el) => getComputedStyle(el).opacity")) < 0.6
        assert "too-far" not in (boom_bap.get_attribute("class") or "")
        screenshots(page, "library-matched")

    def test_the_project_is_set_once_and_kept_in_url_and_storage(
        self, web: WebApp, page: Page
    ) -> None:
        page.goto(web.base + "/")
        expect_titles(page, ALL_TITLES)
        page.get_by_label("Project BPM").fill("120")
        page.wait_for_url(re.compile(r"project_bpm=120"))
        page.get_by_label("Project key").select_option(label="D minor (7A)")
        page.wait_for_url(re.compile(r"project_key=D&project_scale=minor"))
        page.get_by_label("Search").fill("soul")  # a filter keeps the project in the URL
        page.wait_for_url(re.compile(r"q=soul.*project_bpm=120"))
        soul = page.locator(card(web, "Lazy soul chops"))
        expect(soul.locator(".cell-match")).to_have_text("×1.30 · ±0 st")
        page.goto(web.base + "/")  # no project in this URL: the browser remembers it
        expect_titles(page, ALL_TITLES)
        assert page.get_by_label("Project BPM").input_value() == "120"
        expect(page).to_have_url(
            re.compile(r"/\?project_bpm=120&project_key=D&project_scale=minor$")
        )
        expect(page.locator(card(web, "Lazy soul chops")).locator(".cell-match")).to_have_text(
            "×1.30 · ±0 st"
        )

    def test_matched_preview_runs_the_worklet_at_the_project_tempo(
        self, web: WebApp, page: Page
    ) -> None:
        page.goto(f"{web.base}/?{PROJECT}")
        expect_titles(page, ALL_TITLES)
        page.get_by_role("button", name=f"Play {BOOM_BAP}").click()
        page.wait_for_function(f"{AUDIO}.currentTime > 0.3")
        page.wait_for_function("window.cratedig.graph.stretching")
        assert page.evaluate("window.cratedig.graph.stretch instanceof AudioWorkletNode")
        assert page.evaluate(f"{AUDIO}.preservesPitch") is False
        rate = page.evaluate(PLAYBACK_RATE, 1500)
        assert rate == pytest.approx(99 / 90, rel=0.03)
        # Sound reaches the output only through the stretcher: it is heard, so it runs.
        page.wait_for_function("window.cratedig.graph.level() > 0.01")
        expect(page.locator(".bar-match")).to_have_text("matched ×1.10 · ±0 st")

        page.get_by_label("Project BPM").fill("")  # matching off: plain speed again
        page.get_by_label("Project key").select_option("")
        page.wait_for_function(f"{AUDIO}.playbackRate === 1 && !window.cratedig.graph.stretching")
        assert page.evaluate(PLAYBACK_RATE, 1000) == pytest.approx(1.0, rel=0.03)


class TestPlayerBar:
    def test_volume_is_applied_and_remembered_and_repeat_loops_the_stream(
        self, web: WebApp, page: Page
    ) -> None:
        page.goto(web.base + "/")
        expect_titles(page, ALL_TITLES)
        page.get_by_role("button", name=f"Play {BOOM_BAP}").click()
        page.wait_for_function(f"{AUDIO}.currentTime > 0.2")
        bar = page.locator(".player-bar")
        page.wait_for_selector(".player-bar canvas[data-state=drawn]")  # its own waveform
        bar.get_by_label("Volume").fill("0.25")
        # Unmatched, the element plays on its own (no Web Audio detour) at that volume.
        assert page.evaluate(f"{AUDIO}.volume") == pytest.approx(0.25)
        assert page.evaluate("window.cratedig.graph.element") is None
        bar.get_by_role("button", name="Repeat the sample").click()
        assert page.evaluate(f"{AUDIO}.loop")
        page.evaluate(f"{AUDIO}.currentTime = 7.5")  # 0.5 s before the end: it goes round
        page.wait_for_function(f"{AUDIO}.currentTime > 0.1 && {AUDIO}.currentTime < 3")
        assert not page.evaluate(f"{AUDIO}.paused")
        page.reload()
        assert page.locator(".player-bar").get_by_label("Volume").input_value() == "0.25"


class TestLoops:
    def test_a_loop_repeats_seamlessly_at_the_matched_rate(self, web: WebApp, page: Page) -> None:
        sample = sample_json(web, BOOM_BAP)
        page.goto(f"{web.base}/samples/{sample['id']}?{PROJECT}")
        page.get_by_role("heading", name=BOOM_BAP, level=1).wait_for()
        loop = {"bars": 1, "start": 1.0, "end": 1.5}
        page.evaluate("([s, l]) => window.cratedig.player.toggleLoop(s, l)", [sample, loop])
        page.wait_for_function("window.cratedig.loopPlayer.current !== null")
        started = page.evaluate("window.cratedig.graph.context.currentTime")
        page.wait_for_function("window.cratedig.loopPlayer.position().repeats >= 4")
        elapsed = page.evaluate("window.cratedig.graph.context.currentTime") - started
        position = page.evaluate("window.cratedig.loopPlayer.position()")
        assert 1.0 <= position["seconds"] < 1.5
        # 0.5 s of the sample at ×1.10 lasts 0.4545 s: four times round in about 1.8 s.
        assert position["repeats"] == pytest.approx(elapsed * 1.1 / 0.5, abs=1.0)
        source = "window.cratedig.loopPlayer.current.source"
        assert page.evaluate(
            f"{source}.loop && {source}.loopStart === 1 && {source}.loopEnd === 1.5"
        )
        page.wait_for_function("window.cratedig.graph.level() > 0.01")
        assert page.evaluate(f"{AUDIO}.paused")  # one sound at a time
        page.evaluate("([s, l]) => window.cratedig.player.toggleLoop(s, l)", [sample, loop])
        assert page.evaluate("window.cratedig.loopPlayer.current") is None

    def test_the_sample_page_plays_the_analysis_loops(self, web: WebApp, page: Page) -> None:
        sample = sample_json(web, BOOM_BAP)
        assert sample["loops"] and sample["beats"]
        page.goto(f"{web.base}/samples/{sample['id']}")
        page.get_by_role("button", name="1 bar", exact=True).click()
        page.wait_for_function("window.cratedig.loopPlayer.position()?.repeats >= 1", timeout=8000)
        expect(page.get_by_role("button", name="1 bar", exact=True)).to_have_attribute(
            "aria-pressed", "true"
        )


CRATE = (BOOM_BAP, "Lazy soul chops", "Dark drill melody")


def fill_crate(web: WebApp, page: Page, search: str = "") -> None:
    """Add three samples from the library's rows and open the crate panel."""
    page.goto(f"{web.base}/{search}")
    expect_titles(page, ALL_TITLES)
    for title in CRATE:
        page.get_by_role("button", name=f"Add {title} to the crate").click()
    page.get_by_role("button", name=re.compile(r"^Crate")).click()


class TestCrate:
    def test_add_reorder_keep_and_share_the_crate(self, web: WebApp, page: Page) -> None:
        fill_crate(web, page)
        items = page.get_by_role("list", name="Samples in the crate").locator("li .crate-name a")
        expect(items).to_have_text([BOOM_BAP, "Lazy soul chops", "Dark drill melody"])
        page.get_by_role("button", name="Move Dark drill melody up").click()
        expect(items).to_have_text([BOOM_BAP, "Dark drill melody", "Lazy soul chops"])
        screenshots(page, "crate")
        page.reload()  # kept in this browser
        page.get_by_role("button", name=re.compile(r"^Crate")).click()
        expect(items).to_have_text([BOOM_BAP, "Dark drill melody", "Lazy soul chops"])
        link = page.get_by_label("Link to this crate").input_value()
        order = [web.samples[t] for t in (BOOM_BAP, "Dark drill melody", "Lazy soul chops")]
        assert link == f"{web.base}/#crate=" + ",".join(str(i) for i in order)

        other = page.context.browser.new_context()  # someone else opens the link
        try:
            friend = other.new_page()
            friend.goto(link)
            shared = friend.get_by_role("list", name="Samples in the crate")
            expect(shared.locator("li .crate-name a")).to_have_text(
                [BOOM_BAP, "Dark drill melody", "Lazy soul chops"]
            )
        finally:
            other.close()

    def test_rows_drag_into_a_daw_as_a_wav_download(self, web: WebApp, page: Page) -> None:
        page.goto(f"{web.base}/?{PROJECT}")
        expect_titles(page, ALL_TITLES)
        data = page.locator(card(web, BOOM_BAP)).evaluate(
            """(row) => {
              const transfer = new DataTransfer();
              const drag = new DragEvent('dragstart', {dataTransfer: transfer, bubbles: true});
              row.dispatchEvent(drag);
              return transfer.getData('DownloadURL');
            }"""
        )
        sample_id = web.samples[BOOM_BAP]
        kind, name, url = data.split(":", 2)
        assert kind == "audio/wav"
        assert re.fullmatch(rf"99bpm_Aminor_beatsmith_{sample_id.hex[:8]}\.wav", name)
        assert url == (
            f"{web.base}/api/v1/samples/{sample_id}/download?format=wav&bpm=99&key=C&scale=major"
        )
        rendered = web.api("GET", url.removeprefix(web.base))  # named as the drag names it
        assert rendered.status_code == 302, rendered.text
        assert f"download={name}" in rendered.headers["location"]

    def test_download_crate_asks_for_the_ids_in_order_with_the_options(
        self, web: WebApp, page: Page
    ) -> None:
        fill_crate(web, page, f"?{PROJECT}")
        page.get_by_role("checkbox", name="Matched to the project").check()
        page.get_by_label("Cut").select_option("4")
        with page.expect_request("**/api/v1/crates/download") as sent:
            page.get_by_role("button", name="Download crate").click()
        assert sent.value.method == "POST"
        assert sent.value.post_data_json == {
            "ids": [str(web.samples[t]) for t in CRATE],
            "format": "wav",
            "bpm": 99,
            "key": "C",
            "scale": "major",
            "bars": 4,
        }
        message = page.locator(".crate-message")
        expect(message).to_contain_text(re.compile(r"^(Downloaded|Could not download)"))

    def test_download_crate_is_one_zip_of_wavs(self, web: WebApp, page: Page) -> None:
        fill_crate(web, page)
        with page.expect_download(timeout=30000) as download:
            page.get_by_role("button", name="Download crate").click()
        path = download.value.path()
        singles = []  # each WAV is named like the sample's own download
        for title in CRATE:
            answer = web.api("GET", f"/api/v1/samples/{web.samples[title]}/download?format=wav")
            singles.append(parse_qs(urlparse(answer.headers["location"]).query)["download"][0])
        with zipfile.ZipFile(path) as archive:
            names = [name for name in archive.namelist() if name.endswith(".wav")]
            assert names == singles  # in the crate's order
            for name in names:
                with wave.open(io.BytesIO(archive.read(name))) as clip:
                    assert clip.getnframes() > clip.getframerate()  # more than a second

    def test_matched_download_carries_the_project_tempo(self, web: WebApp, page: Page) -> None:
        page.goto(f"{web.base}/samples/{web.samples[BOOM_BAP]}?{PROJECT}")
        with page.expect_download(timeout=30000) as download:
            page.get_by_role("link", name="Matched WAV").click()
        assert "99bpm" in download.value.suggested_filename


class TestSamplePage:
    def test_every_analysis_field_and_the_downloads(self, web: WebApp, page: Page) -> None:
        sample = sample_json(web, UNSURE)
        page.goto(f"{web.base}/samples/{sample['id']}?{PROJECT}")
        page.get_by_role("heading", name=UNSURE, level=1).wait_for()
        info = page.locator(".sample-info").inner_text()
        for fact in ("Tempo confidence", "20 %", "176 BPM 15 %", "Key confidence", "90 %"):
            assert fact in info
        matched = page.get_by_role("link", name="Matched WAV").get_attribute("href") or ""
        assert "bpm=99" in matched and "key=C" in matched and "scale=major" in matched
        four = page.get_by_role("link", name="4 bars").get_attribute("href") or ""
        assert "bars=4" in four and "bpm=99" in four
        page.get_by_role("button", name=f"Add {UNSURE} to the crate").click()
        expect(page.locator(".crate-count")).to_have_text("1")

    def test_the_video_keeps_its_own_aspect_ratio(self, web: WebApp, page: Page) -> None:
        page.goto(f"{web.base}/samples/{web.samples[BOOM_BAP]}")
        video = page.locator("video")
        page.wait_for_function("document.querySelector('video').videoWidth > 0")
        natural = video.evaluate("(v) => v.videoWidth / v.videoHeight")
        box = video.bounding_box()
        assert box is not None
        assert box["width"] / box["height"] == pytest.approx(natural, rel=0.03)

    def test_an_admin_corrects_tempo_and_key(self, web: WebApp, page: Page) -> None:
        page.goto(f"{web.base}/samples/{web.samples['Lazy soul chops']}")
        page.get_by_text("Correct tempo and key (admin)").click()
        page.get_by_label("BPM", exact=True).fill("96")
        page.get_by_label("Key", exact=True).select_option("E")
        page.get_by_label("Scale", exact=True).select_option("minor")
        page.get_by_role("button", name="Save correction").click()
        expect(page.locator(".facts-list")).to_contain_text("96 BPM")
        assert "Analysis said" in page.locator(".facts-list").inner_text()
        assert web.api("GET", f"/api/v1/samples/{web.samples['Lazy soul chops']}").json()[
            "corrections"
        ]


def test_a_reprocess_card_waits_for_its_pipelines(web: WebApp, page: Page) -> None:
    page.goto(web.base + "/operations")
    shown = """async (op) => (await import('/assets/opsview.js')).shownProgress(op)"""
    running = {
        "status": "completed",
        "items": {"total": 2, "done": 2, "skipped": 0, "failed": 0, "queued": 2, "pending": 0},
        "pipeline": {"queued": 1, "processing": 1, "completed": 0, "failed": 0, "superseded": 0},
    }
    assert page.evaluate(shown, running) == {
        "state": "pipelines",
        "label": "pipelines running (0 of 2)",
        "finished": 0,
        "total": 2,
    }
    done = {**running, "pipeline": {**running["pipeline"], "queued": 0, "processing": 0}}
    done["pipeline"]["completed"] = 2
    assert page.evaluate(shown, done)["label"] == "completed"


def test_the_page_rounds_tempos_like_the_file_names_and_shifts_keys_by_at_most_6(
    web: WebApp, page: Page
) -> None:
    page.goto(web.base + "/submit")
    tempos = [79.5, 80.5, 81.5, 119.49, 120.5, 90.0]
    rounded = page.evaluate(
        "async (xs) => { const f = await import('/assets/format.js'); return xs.map(f.roundBpm); }",
        tempos,
    )
    assert rounded == [rounded_bpm(t) for t in tempos]  # as in the download file names
    shift = """async ([key, scale, to, toScale]) =>
      (await import('/assets/match.js')).semitoneShift(key, scale, to, toScale)"""
    cases = {
        ("A", "minor", "C", "major"): 0,  # the relative: no shift
        ("D", "minor", "C", "major"): -5,  # D minor → A minor
        ("E", "minor", "C", "minor"): -4,
        ("F#", "major", "C", "major"): 6,
        ("Bb", "major", "G", "minor"): 0,  # B♭ major is G minor's relative
        ("C#", "minor", "D", "minor"): 1,
    }
    for case, expected in cases.items():
        assert page.evaluate(shift, list(case)) == expected, case
    ratio = "async ([b, p]) => (await import('/assets/match.js')).tempoRatio(b, p)"
    assert page.evaluate(ratio, [90, 180]) == 2  # as the server renders it
    assert page.evaluate(ratio, [90, 99]) == pytest.approx(1.1)
