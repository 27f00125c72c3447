"""Launching a headless Chromium through chromedriver (selenium).

The binaries are found from ``REASONINGBANK_CHROME_BINARY`` /
``REASONINGBANK_CHROMEDRIVER`` (falling back to miniwob's ``MINIWOB_CHROME_BINARY``
/ ``MINIWOB_CHROMEDRIVER``), then on ``PATH`` (``chromium``, ``chromium-browser``,
``google-chrome``; ``chromedriver``). Each browser gets a fresh temporary
profile directory that is deleted when it quits.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROME_FLAGS: tuple[str, ...] = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

_BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")


class BrowserNotFoundError(RuntimeError):
    """Chromium or chromedriver could not be found."""


def _env(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def find_chrome_binary() -> str | None:
    """Path of a Chromium/Chrome executable, or None."""
    explicit = _env("REASONINGBANK_CHROME_BINARY", "MINIWOB_CHROME_BINARY")
    if explicit:
        return explicit
    for name in _BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def find_chromedriver() -> str | None:
    """Path of a chromedriver executable, or None."""
    return _env("REASONINGBANK_CHROMEDRIVER", "MINIWOB_CHROMEDRIVER") or shutil.which("chromedriver")


@dataclass
class BrowserHandle:
    """A running browser and the profile directory to delete when it quits."""

    driver: WebDriver
    profile_dir: str
    _closed: bool = field(default=False, repr=False)

    def quit(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile_dir, ignore_errors=True)


def launch_chromium(
    *, width: int = 500, height: int = 400, extra_flags: tuple[str, ...] = ()
) -> BrowserHandle:
    """Start headless Chromium with the project's flags and a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = find_chrome_binary()
    driver_path = find_chromedriver()
    if binary is None or driver_path is None:
        raise BrowserNotFoundError(
            "Chromium and chromedriver are needed for the MiniWoB++ environment "
            f"(found browser={binary!r}, chromedriver={driver_path!r}); install them "
            "(e.g. apt-get install chromium chromium-driver) or set "
            "REASONINGBANK_CHROME_BINARY and REASONINGBANK_CHROMEDRIVER"
        )
    profile_dir = tempfile.mkdtemp(prefix="reasoningbank-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*CHROME_FLAGS, *extra_flags):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir}")
    options.add_argument(f"--window-size={width},{height}")
    try:
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    except BaseException:
        shutil.rmtree(profile_dir, ignore_errors=True)
        raise
    return BrowserHandle(driver=driver, profile_dir=profile_dir)
