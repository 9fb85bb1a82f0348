"""Real Chromium through Playwright, with a fake microphone playing the sample session.

The tests need a live server (pytest-django's, in this process) and a real Celery worker
(a subprocess against the test database). Without a Chromium they are skipped, saying why.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.audio_tools import fake_microphone_wav
from tests.conftest import PASSWORD, REPO, WorkerProcess
from tests.samples import SAMPLES

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# around it are ordinary synchronous calls, so Django's async guard must stand aside.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = REPO / "test-artifacts"


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium found (install Debian's chromium, or set CHROMIUM_PATH)")
    from playwright.sync_api import sync_playwright

    wav = fake_microphone_wav(SAMPLES / "sample_session.wav", tmp_path_factory.mktemp("mic"))
    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=args)
        try:
            yield browser
        finally:
            browser.close()


PHONE = {"width": 390, "height": 844}
TOUCH = {"has_touch": True, "is_mobile": True, "device_scale_factor": 2}


@contextlib.contextmanager
def browser_page(chromium: Any, live_server: Any, viewport: dict[str, int], **options: Any) -> Iterator[Any]:
    """A page in a context of its own (cookies, permissions) on the live server, closed afterwards."""
    context = chromium.new_context(base_url=live_server.url, viewport=viewport, **options)
    context.set_default_timeout(20_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(chromium: Any, live_server: Any) -> Iterator[Any]:
    permissions = ["microphone", "clipboard-read", "clipboard-write", "screen-wake-lock"]
    with browser_page(chromium, live_server, {"width": 1280, "height": 900}, permissions=permissions) as page:
        yield page


def sign_in(page: Any, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, "sign-in failed"


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def worker_fixture(extra_env: dict[str, str] | None = None) -> Callable[..., Iterator[WorkerProcess]]:
    """A worker for one test module (the Whisper model loads once per module, not per test)."""

    @pytest.fixture(scope="module")
    def worker(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
        from intellisession.celery import app

        app.control.purge()
        process = WorkerProcess(tmp_path_factory.mktemp("worker") / "worker.log", extra_env=extra_env).start()
        try:
            yield process
        finally:
            process.stop()

    return worker
