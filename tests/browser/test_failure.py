"""A note that cannot be written shows why, in plain words, with "Retry".

The worker here talks to a fake language model that refuses every request (HTTP 400); it
runs in its own module so no worker with the offline drafter takes the job instead."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import screenshot, sign_in, worker_fixture
from tests.conftest import World
from tests.fake_llm import FakeLLMServer

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

_server = FakeLLMServer("400")
_server.__enter__()
worker = worker_fixture({"LLM_BASE_URL": _server.base_url, "LLM_API_KEY": "test-key", "LLM_MODEL": "fake"})


@pytest.fixture(scope="module", autouse=True)
def refusing_llm() -> Iterator[FakeLLMServer]:
    try:
        yield _server
    finally:
        _server.__exit__(None, None, None)


def test_failure_is_shown_with_retry(page: Any, transactional_db: None, world: World, worker: Any) -> None:
    sign_in(page, world.a.clinician.email)
    page.goto(f"/p/{world.a.practice.slug}/clients/{world.a.client.pk}/")
    page.get_by_role("link", name="Generate Note").click()
    dialog = page.get_by_role("dialog", name="Generate Note")
    dialog.get_by_role("switch", name="Summary Only").check()
    dialog.get_by_label("Text input").first.fill("Client described a calmer week and practised breathing.")
    dialog.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r".*/requests/[0-9a-f-]{36}/$"))
    page.get_by_text("The note could not be written.").wait_for(timeout=90_000)
    retry = page.get_by_role("button", name="Retry")
    assert retry.is_visible()
    screenshot(page, "progress-failed")
    requests_before = len(_server.requests)
    retry.click()
    page.get_by_text("The note could not be written.").wait_for(timeout=90_000)
    assert len(_server.requests) > requests_before  # the retry really asked again
