#!/usr/bin/env python3
"""The console's mutual-TLS role check with an HTTP client, beside the browser's
(tests/browser/console_mtls_browser.py): the CSRF token is checked on the TLS listener too.

Usage: mtls_roles.py HOST:PORT CA OPERATOR_CERT OPERATOR_KEY VIEWER_CERT VIEWER_KEY
Exit 0 when: no certificate → handshake refused; viewer → reads, POST refused (403);
operator → reads, and a POST without the CSRF token is refused (403) but with it accepted.
"""
import http.client
import re
import ssl
import sys


def conn(addr, ca, cert=None, key=None):
    ctx = ssl.create_default_context(cafile=ca)
    if cert:
        ctx.load_cert_chain(cert, key)
    host, port = addr.rsplit(":", 1)
    return http.client.HTTPSConnection("localhost", int(port), context=ctx, timeout=10)


def req(c, method, path, body=None):
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    return r.status, r.read().decode("utf-8", "replace")


def main():
    addr, ca, op_cert, op_key, v_cert, v_key = sys.argv[1:7]
    try:
        s, _ = req(conn(addr, ca), "GET", "/console/overview")
        sys.exit(f"no client certificate: got HTTP {s}, expected a refused handshake")
    except (ssl.SSLError, ConnectionError, OSError):
        pass
    v = conn(addr, ca, v_cert, v_key)
    s, page = req(v, "GET", "/console/late")
    assert s == 200, (s, page[:500])
    assert "act-retry" not in page, "a viewer sees no action button"
    s, _ = req(v, "POST", "/console/actions/retry", "id=1&csrf=x")
    assert s == 403, f"viewer POST: {s}"
    o = conn(addr, ca, op_cert, op_key)
    s, page = req(o, "GET", "/console/late")
    assert s == 200, s
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    s, _ = req(o, "POST", "/console/actions/ack-alert", "id=999999&csrf=bad")
    assert s == 403, f"operator POST without the CSRF token: {s}"
    if token:
        s, _ = req(o, "POST", "/console/actions/ack-alert", f"id=999999&csrf={token.group(1)}")
        assert s == 404, f"operator POST with the token, unknown alert: {s}"
    print("console mTLS roles: OK")


if __name__ == "__main__":
    main()
