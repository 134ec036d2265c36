"""Headless Chromium (Debian's package) driven by Playwright; skipped only where it cannot be had."""

from __future__ import annotations

import os
import shutil
from typing import Iterator

import pytest

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser") or ""


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    path = chromium_path()
    if not path:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (scripts/ensure_browser.sh installs it)")
        pytest.skip("chromium not installed and could not be installed (needs root for apt-get)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture()
def page(browser) -> Iterator[object]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 480, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()
