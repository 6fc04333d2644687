#!/usr/bin/env python3
"""Drives the operator console in headless Chromium (Debian's chromium + chromedriver, selenium
from PyPI) against a running ijgate daemon.

Usage: console_browser.py BASE_URL HR_REF SCREENSHOT_DIR HR_REF_2 STAGED INBOUND_NAME LIVE_REF

BASE_URL is the admin listener on loopback, where the console's configured local identity is
an operator (tests/console_browser.rs). Steps: overview; find the declaration HR_REF by
hr_ref; read its timeline; retry its failed deposit and wait for the state to change. Then the
live updates (server-sent events), each on a page that is not navigated meanwhile (a marker
set in the page must survive): HR_REF_2's failed deposit is retried from outside the page
(as another operator would) and its open page shows the state and the timeline move; the
declarations list, open on a search for LIVE_REF, shows that stoppage appear and be accepted
when the test drops its HR file (renames STAGED to INBOUND_NAME in the spool). Late and insurer
pages. A screenshot of each page goes to SCREENSHOT_DIR. Exit 0 when every step held.
"""
import os
import re
import sys
import tempfile
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait


def live_on(wait):
    """The page's event stream is open (console.js says so on the root element)."""
    wait.until(
        lambda d: d.execute_script("return document.documentElement.dataset.liveState") == "on"
    )


def set_marker(b):
    """A mark in the page's window: gone if the page is navigated or reloaded."""
    b.execute_script("window.__ijgateStay = 'stayed';")


def assert_not_navigated(b):
    assert b.execute_script("return window.__ijgateStay") == "stayed", "the page was reloaded"
    n = int(b.execute_script("return document.documentElement.dataset.liveUpdates || '0'"))
    assert n >= 1, "no live update was applied"


def no_script(base, hr_ref, shots):
    """Reading works without JavaScript: the list, the declaration's state and timeline."""
    opts = webdriver.ChromeOptions()
    opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in [
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,1000",
        f"--user-data-dir={tempfile.mkdtemp(prefix='ijgate-chromium-nojs-')}",
    ]:
        opts.add_argument(flag)
    opts.add_experimental_option(
        "prefs", {"profile.managed_default_content_settings.javascript": 2})
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    b = webdriver.Chrome(service=service, options=opts)
    try:
        b.get(base + "/console/declarations?" + urllib.parse.urlencode({"q": hr_ref}))
        b.find_element(By.LINK_TEXT, hr_ref).click()
        assert b.find_element(By.ID, "state").text == "accepted"
        assert "retry_requested" in b.find_element(By.ID, "timeline").text
        # The script did not run: no live status shown, nothing marked live.
        assert not b.find_element(By.ID, "live-status").is_displayed()
        assert b.find_element(By.TAG_NAME, "html").get_attribute("data-live-state") is None
        b.save_screenshot(os.path.join(shots, "9-declaration-without-javascript.png"))
    finally:
        b.quit()


def main():
    base, hr_ref, shots = sys.argv[1], sys.argv[2], sys.argv[3]
    hr_ref_2, staged, inbound_name, live_ref = sys.argv[4:8]
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

        # Live: the timeline of an open page moves when the daemon's state changes.
        b.get(base + "/console/late")
        wait.until(lambda d: d.find_element(By.LINK_TEXT, hr_ref_2).click() is None)
        wait.until(lambda d: d.find_element(By.ID, "state").text == "failed")
        live_on(wait)
        set_marker(b)
        decl = re.search(r"/console/declarations/(\d+)$", b.current_url).group(1)
        token = b.find_element(By.CSS_SELECTOR, "input[name=csrf]").get_attribute("value")
        # The retry comes from outside the page (another operator, the same local identity).
        body = urllib.parse.urlencode({"id": decl, "csrf": token, "back": "declaration"})
        with urllib.request.urlopen(base + "/console/actions/retry", body.encode(), 10) as r:
            assert r.status == 200, r.status
        WebDriverWait(b, 60, ignored_exceptions=[StaleElementReferenceException]).until(
            lambda d: d.find_element(By.ID, "state").text == "accepted"
        )
        wait.until(lambda d: "retry_requested" in d.find_element(By.ID, "timeline").text)
        assert_not_navigated(b)
        b.save_screenshot(os.path.join(shots, "5-declaration-live.png"))

        # Live: a stoppage dropped while the list is open appears there, then is accepted.
        b.get(base + "/console/declarations?" + urllib.parse.urlencode({"q": live_ref}))
        wait.until(lambda d: d.find_element(By.ID, "live-list").text.startswith("0 "))
        live_on(wait)
        set_marker(b)
        os.rename(staged, os.path.join(os.path.dirname(staged), inbound_name))
        wait.until(EC.presence_of_element_located((By.LINK_TEXT, live_ref)))
        WebDriverWait(b, 60, ignored_exceptions=[StaleElementReferenceException]).until(
            lambda d: "accepted" in d.find_element(By.ID, "live-list").text
        )
        assert_not_navigated(b)
        b.save_screenshot(os.path.join(shots, "6-declarations-live.png"))

        b.get(base + "/console/late")
        wait.until(EC.presence_of_element_located((By.TAG_NAME, "h1")))
        b.save_screenshot(os.path.join(shots, "7-late.png"))
        b.get(base + "/console/insurers")
        wait.until(EC.presence_of_element_located((By.TAG_NAME, "h1")))
        b.save_screenshot(os.path.join(shots, "8-insurers.png"))
        # No inline script may run: the CSP would block it, and the page has none.
        assert "<script>" not in b.page_source
        no_script(base, hr_ref, shots)
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
