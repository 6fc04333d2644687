#!/usr/bin/env python3
"""A real SMTP server for the alert tests (aiosmtpd).

Usage: smtp_sink.py PORT FOLDER [--starttls CERT KEY | --tls CERT KEY] [--auth USER:PASSWORD]
Listens on 127.0.0.1:PORT and writes every message it accepts to FOLDER as one .eml file
(written under a temporary name, then renamed, so a reader never sees half a message), with
an extra first header "X-Envelope-To:". --starttls requires STARTTLS, --tls speaks implicit
TLS, --auth requires that login. Prints "ready" once listening; stops on SIGTERM.
"""
import argparse
import os
import signal
import ssl
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Saver:
    def __init__(self, folder):
        self.folder = folder

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.time_ns()}.eml"
        tmp = os.path.join(self.folder, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.content)
        os.rename(tmp, os.path.join(self.folder, name))
        return "250 OK"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("folder")
    p.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--auth")
    a = p.parse_args()
    os.makedirs(a.folder, exist_ok=True)
    # Sessions a client gave up on (refused TLS handshake) end quickly.
    kwargs = {"timeout": 10}
    pair = a.starttls or a.tls
    if pair:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(pair[0], pair[1])
        if a.starttls:
            kwargs.update(tls_context=ctx, require_starttls=True)
        else:
            kwargs.update(ssl_context=ctx)
    if a.auth:
        user, password = a.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, data):
            ok = (
                isinstance(data, LoginPassword)
                and data.login.decode() == user
                and data.password.decode() == password
            )
            return AuthResult(success=ok)

        kwargs.update(authenticator=authenticator, auth_required=True)
        # Implicit TLS is TLS too, but aiosmtpd only knows about STARTTLS.
        kwargs.update(auth_require_tls=bool(a.starttls))
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM, signal.SIGINT])
    controller = Controller(Saver(a.folder), hostname="127.0.0.1", port=a.port, **kwargs)
    controller.start()
    print("ready", flush=True)
    signal.sigwait([signal.SIGTERM, signal.SIGINT])
    controller.stop()


if __name__ == "__main__":
    main()
