#!/usr/bin/env python3
"""The console over mutual TLS in headless Chromium: the browser presents a client certificate.

Usage: console_mtls_browser.py BASE_URL CA OPERATOR_CERT OPERATOR_KEY VIEWER_CERT VIEWER_KEY
       HR_REF SCREENSHOT_DIR

BASE_URL is the admin listener with `console.tls` (https://127.0.0.1:PORT). Each browser gets a
home folder of its own (HOME, so Chromium's NSS database is $HOME/.pki/nssdb) holding the dev CA
as trusted and at most one client certificate, imported from a PKCS#12 file made here with
`openssl pkcs12 -export` (certutil/pk12util from Debian's libnss3-tools). Chromium picks the
certificate without a dialog through the AutoSelectCertificateForUrls setting, written into the
temporary profile's Preferences (the same content setting the managed policy of that name
sets; no root, nothing installed on the machine).

Steps: the operator (HR_REF has a failed deposit) sees its identity, the retry button on the
late page and the live stream open, and retries; the viewer sees the same page without any
action button, and its POST (a form built in the page) is refused with 403; a browser without
a certificate is refused at the TLS handshake. Exit 0 when every step held.
"""
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def home_with(ca, origin, cert=None, key=None, subject_cn=None):
    """A HOME with an NSS database (CA trusted; the client certificate and key, if any) and a
    Chromium profile that selects that certificate for `origin` by itself."""
    home = tempfile.mkdtemp(prefix="ijgate-nss-")
    db = os.path.join(home, ".pki", "nssdb")
    os.makedirs(db, mode=0o700)
    run("certutil", "-N", "-d", "sql:" + db, "--empty-password")
    run("certutil", "-A", "-d", "sql:" + db, "-n", "ijgate dev CA", "-t", "C,,", "-i", ca)
    if cert:
        p12 = os.path.join(home, "client.p12")
        run("openssl", "pkcs12", "-export", "-in", cert, "-inkey", key, "-out", p12,
            "-name", subject_cn, "-passout", "pass:ijgate-test")
        run("pk12util", "-d", "sql:" + db, "-i", p12, "-W", "ijgate-test")
    profile = os.path.join(home, "profile")
    os.makedirs(os.path.join(profile, "Default"))
    if cert:
        # AutoSelectCertificateForUrls, as a profile content setting: "<origin>,*" → filter.
        prefs = {"profile": {"content_settings": {"exceptions": {"auto_select_certificate": {
            origin + ",*": {"setting": {"filters": [{"SUBJECT": {"CN": subject_cn}}]}}
        }}}}}
        with open(os.path.join(profile, "Default", "Preferences"), "w") as f:
            json.dump(prefs, f)
    return home, profile


def browser(home, profile):
    opts = webdriver.ChromeOptions()
    opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,1000", f"--user-data-dir={profile}",
    ]:
        opts.add_argument(flag)
    env = dict(os.environ, HOME=home)
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"), env=env)
    b = webdriver.Chrome(service=service, options=opts)
    b.set_page_load_timeout(30)
    return b


def handshakes_refused(base, ca, cert, key):
    """ijgate_console_events_total{event="tls_handshake_failed"} from /metrics (same listener,
    read with the operator's certificate)."""
    ctx = ssl.create_default_context(cafile=ca)
    ctx.load_cert_chain(cert, key)
    with urllib.request.urlopen(base + "/metrics", context=ctx, timeout=10) as r:
        text = r.read().decode()
    m = re.search(r'^ijgate_console_events_total\{event="tls_handshake_failed"\} (\d+)', text, re.M)
    return int(m.group(1)) if m else 0


def who(b):
    return b.find_element(By.CSS_SELECTOR, "header .who").text


def main():
    base, ca, op_cert, op_key, v_cert, v_key, hr_ref, shots = sys.argv[1:9]
    os.makedirs(shots, exist_ok=True)
    homes = []
    try:
        # The operator.
        home, profile = home_with(ca, base, op_cert, op_key, "rh-a")
        homes.append(home)
        b = browser(home, profile)
        wait = WebDriverWait(b, 30, ignored_exceptions=[StaleElementReferenceException])
        try:
            b.get(base + "/console/late")
            wait.until(lambda d: d.find_element(By.LINK_TEXT, hr_ref))
            assert "rh-a (opérateur)" in who(b), who(b)
            buttons = b.find_elements(By.CSS_SELECTOR, "button.act-retry")
            assert buttons, "an operator sees the retry button"
            # The live stream works over TLS with the certificate too.
            wait.until(lambda d: d.execute_script(
                "return document.documentElement.dataset.liveState") == "on")
            b.save_screenshot(os.path.join(shots, "mtls-1-operator-late.png"))
            wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "button.act-retry").click() is None)
            wait.until(lambda d: d.current_url.endswith("/console/late"))
            assert "rh-a (opérateur)" in who(b), who(b)
        except Exception:
            b.save_screenshot(os.path.join(shots, "mtls-failure-operator.png"))
            print(b.current_url, b.page_source[:3000], file=sys.stderr)
            raise
        finally:
            b.quit()

        # The viewer.
        home, profile = home_with(ca, base, v_cert, v_key, "rh-b")
        homes.append(home)
        b = browser(home, profile)
        wait = WebDriverWait(b, 30, ignored_exceptions=[StaleElementReferenceException])
        try:
            b.get(base + "/console/late")
            wait.until(lambda d: d.find_element(By.LINK_TEXT, hr_ref))
            assert "rh-b (lecture)" in who(b), who(b)
            assert not b.find_elements(By.CSS_SELECTOR, "form[action^='/console/actions/']"), \
                "a viewer sees no action form"
            assert not b.find_elements(By.CSS_SELECTOR, "button.act-retry")
            b.save_screenshot(os.path.join(shots, "mtls-2-viewer-late.png"))
            # The POST anyway, from the page (as a forged form would): refused.
            status = b.execute_async_script("""
                const done = arguments[arguments.length - 1];
                fetch('/console/actions/retry', {method: 'POST', credentials: 'same-origin',
                    headers: {'Content-Type': 'application/x-www-form-urlencoded'},
                    body: 'id=1&csrf=0'}).then(r => done(r.status), e => done(String(e)));
            """)
            assert status == 403, f"viewer POST: {status}"
            b.execute_script("""
                const f = document.createElement('form');
                f.method = 'post'; f.action = '/console/actions/retry';
                for (const [k, v] of [['id', '1'], ['csrf', '0']]) {
                    const i = document.createElement('input');
                    i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i);
                }
                document.body.appendChild(f); f.submit();
            """)
            wait.until(lambda d: "ne permet pas d'agir" in d.find_element(By.TAG_NAME, "main").text)
            b.save_screenshot(os.path.join(shots, "mtls-3-viewer-post-refused.png"))
        except Exception:
            b.save_screenshot(os.path.join(shots, "mtls-failure-viewer.png"))
            print(b.current_url, b.page_source[:3000], file=sys.stderr)
            raise
        finally:
            b.quit()

        # No certificate: the handshake is refused, no page at all. Chromium either reports the
        # network error to the driver or shows its own error page with the network error code
        # (the refusal arrives after the client's side of a TLS 1.3 handshake); the daemon
        # counts the refused handshake.
        refused_before = handshakes_refused(base, ca, op_cert, op_key)
        home, profile = home_with(ca, base)
        homes.append(home)
        b = browser(home, profile)
        try:
            try:
                b.get(base + "/console/overview")
                text = b.execute_script("return document.title + '\\n' + document.body.innerText")
                b.save_screenshot(os.path.join(shots, "mtls-4-no-certificate.png"))
            except WebDriverException as e:
                text = str(e)
            assert "ijgate" not in text.lower(), text[:3000]
            err = re.search(r"ERR_[A-Z_]+", text)
            assert err, text[:3000]
            print("no certificate:", err.group(0))
        finally:
            b.quit()
        # Counted as the handshake fails: awaited, not assumed already done.
        deadline = time.monotonic() + 10
        while handshakes_refused(base, ca, op_cert, op_key) <= refused_before:
            assert time.monotonic() < deadline, "the refused handshake was not counted"
            time.sleep(0.2)
        print("console mTLS browser test: OK")
    finally:
        for h in homes:
            shutil.rmtree(h, ignore_errors=True)


if __name__ == "__main__":
    main()
