"""What the browser tests share: headless Debian Chromium (Playwright), a live app, axe-core.

A browser test module calls `skip_without_browser()` after its imports: without /usr/bin/chromium,
node_modules/axe-core (`npm ci`: no CDN) or the playwright package it skips, so `make test` stays
green on a developer's machine; CI sets VOC_REQUIRE_BROWSER=1 (.ci/run), and the `browser`
fixture then fails instead. tests/conftest.py loads this module as a plugin, so its fixtures
(`browser`, one Chromium per test module; `new_page`, phone-sized pages) serve any test.

`serve` runs the real app on a loopback port from a thread, its links pointing at it; the page
helpers do what a respondent does (tap a label, press Submit) and check what every
questionnaire page shows the same way (the error summary, "already answered"). Test modules
import this one as `ui` (`ui.choose(page, ...)`), and Playwright's `Page` and `expect` from it
too: without playwright installed they stand as None, so the module still imports and skips.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

try:
    from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - playwright is a dev dependency
    Browser = Locator = Page = expect = sync_playwright = None  # the tests skip (or fail)

__all__ = ["Browser", "Locator", "Page", "expect"]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}

MISSING = [
    what
    for what, ok in [
        (str(CHROMIUM), CHROMIUM.exists()),
        (f"{AXE.relative_to(ROOT)} (run `npm ci`)", AXE.exists()),
        ("the playwright package", sync_playwright is not None),
    ]
    if not ok
]
REQUIRED = os.environ.get("VOC_REQUIRE_BROWSER") == "1"


def skip_without_browser() -> None:
    """Skip the calling test module when something is missing, unless VOC_REQUIRE_BROWSER=1."""
    if MISSING and not REQUIRED:
        pytest.skip(
            "browser tests need "
            + ", ".join(MISSING)
            + " (set VOC_REQUIRE_BROWSER=1 to fail instead)",
            allow_module_level=True,
        )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole module (each test gets fresh contexts)."""
    if MISSING:
        pytest.fail("VOC_REQUIRE_BROWSER=1 but the browser tests lack " + ", ".join(MISSING))
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh phone-sized context (options as for `browser.new_context`)."""
    contexts = []

    def make(**options: Any) -> Page:
        context = browser.new_context(viewport=PHONE, **options)
        context.set_default_timeout(5_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@contextmanager
def serve(
    create_app: Callable[[Mapping[str, Any]], Flask], config: Mapping[str, Any]
) -> Iterator[tuple[Flask, str]]:
    """`create_app(config)` on 127.0.0.1:<free port>, served from a thread: (app, its base URL).

    The app is built once the port is known: the links it hands out (PUBLIC_BASE_URL) point at
    this server, and its forms' Origin check accepts it.
    """
    server = make_server("127.0.0.1", 0, _not_ready, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    server.app = create_app({**config, "PUBLIC_BASE_URL": base})
    thread = threading.Thread(target=server.serve_forever, name="live-app", daemon=True)
    thread.start()
    try:
        yield server.app, base
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def _not_ready(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


def axe_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it stands."""
    # The page's CSP forbids inline script, and add_script_tag(content=...) adds an inline
    # <script>: the context is opened with bypass_csp=True so axe can be injected at all.
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['impact']} {v['id']}: {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


# --- what a respondent does -----------------------------------------------------------------


def open_link(page: Page, url: str, status: int = 200) -> None:
    response = page.goto(url)
    assert response is not None and response.status == status


def choose(page: Page, question: str, option: str) -> None:
    """Tap the option's label under `question`, as a person would (the radio itself is hidden)."""
    page.get_by_role("group", name=question).get_by_text(option, exact=True).click()


def radio(page: Page, question: str, option: str) -> Locator:
    return page.get_by_role("group", name=question).get_by_role("radio", name=option, exact=True)


def submit(page: Page, button: str = "Submit") -> int:
    """Press Submit; the HTTP status of the page it leads to."""
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=button).click()
    response = navigation.value
    assert response is not None
    return response.status


# --- what every questionnaire page shows ----------------------------------------------------


def expect_styled_to_fit_a_phone(page: Page, button: str = "Submit") -> None:
    """The stylesheet is served and allowed by the CSP; the page fits a phone's width."""
    expect(page.get_by_role("button", name=button)).to_have_css(
        "background-color", "rgb(19, 115, 51)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def expect_unanswered(page: Page, title: str, question: str) -> None:
    """The form again, titled as an error, with a summary on top and a message at `question`."""
    expect(page).to_have_title(f"Error: {title}")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    summary_link = summary.get_by_role("link", name=f"{question}: Please answer this question.")
    expect(summary_link).to_be_visible()
    expect(page.get_by_role("group", name=question)).to_contain_text(
        "Error: Please answer this question."
    )


def follow_error_summary(page: Page, question: str, key: str, first_option: str) -> None:
    """The summary's link takes the respondent to the unanswered question's first option."""
    first = radio(page, question, first_option)
    page.get_by_role("alert").get_by_role("link").click()
    expect(page).to_have_url(page.url.split("#")[0] + f"#{key}-input")
    expect(first).to_be_focused()
    assert page.evaluate("window.scrollY") > 0
    # Landing on the first option must not hide the question and its message above the fold.
    group = page.get_by_role("group", name=question)
    expect(group.get_by_text(question, exact=True)).to_be_in_viewport(ratio=1)
    expect(group.get_by_text("Please answer this question.")).to_be_in_viewport(ratio=1)
    expect(first).to_be_in_viewport()


def expect_already_answered(page: Page, url: str) -> None:
    open_link(page, url, status=409)
    expect(page.get_by_role("heading", level=1)).to_have_text("Already answered")
    expect(page.get_by_text("You have already answered this survey.")).to_be_visible()
    expect(page.get_by_role("button", name="Submit")).to_have_count(0)
