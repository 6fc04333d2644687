#!/usr/bin/env python3
"""A real SMTP server for the alert tests (aiosmtpd).

Usage: smtp_sink.py PORT FOLDER
Listens on 127.0.0.1:PORT and writes every message it accepts to FOLDER as one .eml file
(written under a temporary name, then renamed, so a reader never sees half a message), with
an extra first header "X-Envelope-To:". Prints "ready" once listening; stops on SIGTERM.
"""
import os
import signal
import sys
import time

from aiosmtpd.controller import Controller


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
    port, folder = int(sys.argv[1]), sys.argv[2]
    os.makedirs(folder, exist_ok=True)
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM, signal.SIGINT])
    controller = Controller(Saver(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    signal.sigwait([signal.SIGTERM, signal.SIGINT])
    controller.stop()


if __name__ == "__main__":
    main()
