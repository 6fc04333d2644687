#!/usr/bin/env python3
"""ijgate web service client example (Python 3.8+, standard library only).

Sends one stoppage (arrêt de travail) over mutual TLS, then polls its state until it
settles, then lists what changed since a cursor, as an HR tool that polls would.

    python3 ijgate_client.py --url https://ijgate.example:8443 \
        --cert client-rh-a.pem --key client-rh-a.key --ca ca.pem \
        --stoppage stoppage.json [--until accepted] [--timeout 120]

The client certificate's identity (DNS SAN or CN) must be an `[[hr_clients]] name` of the
ijgate configuration, and the stoppage's SIRET one of that client's. With `requests`
instead: `requests.post(url, json=body, cert=(cert, key), verify=ca)`.

Exit codes: 0 the state was reached (or a final one), 1 refused or timed out, 2 usage.
"""

import argparse
import json
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

# States after which nothing more happens without a new message (openapi.json,
# DeclarationState).
FINAL = {"accepted", "test_accepted", "refused", "rejected", "failed", "cancelled",
         "recorded", "dsij_fallback", "documents_requested"}


class Client:
    def __init__(self, url, cert, key, ca):
        self.base = url.rstrip("/")
        # Server authenticated by our CA; our certificate sent when asked (mutual TLS).
        self.ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
        self.ctx.load_cert_chain(certfile=cert, keyfile=key)

    def call(self, method, path, body=None):
        """Returns (HTTP status, decoded JSON body). Problems (RFC 9457) come back as JSON too."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        req.add_header("Accept", "application/json")
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def submit(self, stoppage):
        return self.call("POST", "/v1/stoppages", stoppage)

    def declaration(self, ident):
        return self.call("GET", "/v1/stoppages/%d" % ident)

    def changes(self, cursor=None, **filters):
        """One page of GET /v1/stoppages; filters: state=[...], late=True, changed_since=..."""
        q = []
        for k, v in filters.items():
            for item in (v if isinstance(v, list) else [v]):
                q.append((k, str(item).lower() if isinstance(item, bool) else str(item)))
        if cursor:
            q.append(("cursor", cursor))
        return self.call("GET", "/v1/stoppages?" + urllib.parse.urlencode(q))

    def replay(self, **criteria):
        """POST /v1/notices:replay with hr_ref=..., declaration_id=... or since=..."""
        return self.call("POST", "/v1/notices:replay", criteria)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--stoppage", required=True, help="a JSON file: one stoppage object")
    p.add_argument("--until", default=None, help="poll until this state (default: a final one)")
    p.add_argument("--timeout", type=float, default=120.0)
    a = p.parse_args()
    with open(a.stoppage, encoding="utf-8") as f:
        stoppage = json.load(f)
    c = Client(a.url, a.cert, a.key, a.ca)

    status, body = c.submit(stoppage)
    if status != 202:
        # 422: every problem is listed, nothing was recorded; fix and send the whole again.
        print("refused (%d): %s" % (status, json.dumps(body, ensure_ascii=False)), file=sys.stderr)
        for e in (body or {}).get("errors", []):
            print("  %s: %s" % (e.get("field"), e.get("reason")), file=sys.stderr)
        return 1
    ident = body["id"]
    print("declaration %d: %s (revision %d)" % (ident, body["outcome"], body["revision"]))

    # Poll with a growing delay. An HR tool with many stoppages polls the listing instead
    # (below), keeping next_cursor between runs.
    deadline = time.monotonic() + a.timeout
    delay, state = 0.2, None
    while True:
        status, d = c.declaration(ident)
        if status != 200:
            print("lookup failed (%d): %s" % (status, d), file=sys.stderr)
            return 1
        if d["state"] != state:
            state = d["state"]
            print("state: %s" % state)
        if (a.until and state == a.until) or (not a.until and state in FINAL):
            break
        if a.until and state in FINAL:
            print("final state %s reached, not %s" % (state, a.until), file=sys.stderr)
            return 1
        if time.monotonic() > deadline:
            print("timed out in state %s" % state, file=sys.stderr)
            return 1
        time.sleep(delay)
        delay = min(delay * 2, 10.0)

    # The change feed: every declaration of this client changed since the start (one page).
    status, page = c.changes(hr_ref=stoppage["hr_ref"], limit=10)
    if status != 200:
        print("listing failed (%d): %s" % (status, page), file=sys.stderr)
        return 1
    for row in page["declarations"]:
        late = ", late: " + ", ".join(row["late"]) if row["late"] else ""
        print("listed: %d %s %s %s%s" % (row["id"], row["hr_ref"], row["event"], row["state"], late))
    print("next_cursor: %s" % page["next_cursor"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
