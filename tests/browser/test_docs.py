"""/docs renders the API's operations with every request kept on this host (air-gapped)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Route

from tests.browser.webapp import running_webapp

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def test_the_docs_render_with_no_outside_request(browser: Browser, tmp_path: Path) -> None:
    outside: list[str] = []
    asked: list[str] = []

    def guard(route: Route) -> None:
        url = route.request.url
        asked.append(url)
        if urlsplit(url).hostname in LOOPBACK:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    with running_webapp(tmp_path, ()) as web:
        context = browser.new_context()
        context.route("**/*", guard)
        page = context.new_page()
        page.goto(web.base + "/docs")
        page.wait_for_selector(".opblock-summary-path")
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        context.close()
    assert outside == []
    assert "/api/v1/crates/download" in paths
    assert "/api/v1/samples/{sample_id}/download" in paths
    assert any("/assets/swagger-ui-bundle." in url for url in asked)
