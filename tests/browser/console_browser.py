#!/usr/bin/env python3
"""Drives the operator console in headless Chromium (Debian's chromium + chromedriver, selenium
from PyPI) against a running ijgate daemon.

Usage: console_browser.py BASE_URL HR_REF SCREENSHOT_DIR

BASE_URL is the admin listener on loopback, where the console's configured local identity is
an operator (tests/console_browser.rs). Steps: overview; find the declaration by hr_ref; read
its timeline; retry its failed deposit and wait for the state to change; late and insurer
pages. A screenshot of each page goes to SCREENSHOT_DIR. Exit 0 when every step held.
"""
import os
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait


def main():
    base, hr_ref, shots = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(shots, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="ijgate-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,1000", f"--user-data-dir={profile}",
    ]:
        opts.add_argument(flag)
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    b = webdriver.Chrome(service=service, options=opts)
    # The page's live parts are re-rendered every few seconds (console.js): an element found
    # just before a refresh goes stale; the wait looks again instead of failing.
    wait = WebDriverWait(b, 30, ignored_exceptions=[StaleElementReferenceException])
    try:
        b.get(base + "/console/overview")
        wait.until(EC.presence_of_element_located((By.ID, "chart-weeks")))
        assert "Vue d'ensemble" in b.title, b.title
        b.save_screenshot(os.path.join(shots, "1-overview.png"))

        b.get(base + "/console/declarations")
        box = wait.until(EC.presence_of_element_located((By.ID, "q")))
        box.send_keys(hr_ref)
        b.find_element(By.ID, "search").click()
        wait.until(EC.element_to_be_clickable((By.LINK_TEXT, hr_ref)))
        # hr_ref is not personal data; the NIR never reaches an address.
        assert "nir" not in b.current_url.lower(), b.current_url
        b.save_screenshot(os.path.join(shots, "2-declarations.png"))
        # Found again at the click: a live refresh may have replaced the link meanwhile.
        wait.until(lambda d: d.find_element(By.LINK_TEXT, hr_ref).click() is None)

        wait.until(lambda d: "received" in d.find_element(By.ID, "timeline").text)
        state = wait.until(lambda d: d.find_element(By.ID, "state").text)
        assert state == "failed", state
        b.save_screenshot(os.path.join(shots, "3-declaration-failed.png"))

        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "button.act-retry").click() is None)
        # The redirect shows the declaration again; its state leaves "failed" (queued, then
        # the peer accepts it), which the page's live refresh shows without a reload.
        wait.until(lambda d: d.find_element(By.ID, "state").text not in ("failed", ""))
        WebDriverWait(b, 60, ignored_exceptions=[StaleElementReferenceException]).until(
            lambda d: d.find_element(By.ID, "state").text == "accepted"
        )
        wait.until(lambda d: "(console: browser-test)" in d.find_element(By.ID, "timeline").text)
        b.save_screenshot(os.path.join(shots, "4-declaration-retried.png"))

        b.get(base + "/console/late")
        wait.until(EC.presence_of_element_located((By.TAG_NAME, "h1")))
        b.save_screenshot(os.path.join(shots, "5-late.png"))
        b.get(base + "/console/insurers")
        wait.until(EC.presence_of_element_located((By.TAG_NAME, "h1")))
        b.save_screenshot(os.path.join(shots, "6-insurers.png"))
        # No inline script may run: the CSP would block it, and the page has none.
        assert "<script>" not in b.page_source
        print("console browser test: OK")
    except Exception:
        b.save_screenshot(os.path.join(shots, "failure.png"))
        print(b.current_url, file=sys.stderr)
        print(b.page_source[:4000], file=sys.stderr)
        raise
    finally:
        b.quit()


if __name__ == "__main__":
    main()
