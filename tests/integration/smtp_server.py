"""A real SMTP server for the e-mail delivery tests: Debian's python3-aiosmtpd, run
as a child process with Debian's /usr/bin/python3 (the package is not in other
Pythons), delivering every accepted message into a Maildir.

As a script: `/usr/bin/python3 smtp_server.py --maildir DIR --port-file FILE [...]`
listens on 127.0.0.1, writes its port to FILE once it accepts connections, and serves
until SIGTERM. Options: --tls-cert/--tls-key (STARTTLS offered and required),
--user/--password (AUTH LOGIN/PLAIN required), --defer-rcpt N (the first N RCPT
commands get "451" as a busy server's would), --refuse-rcpt ADDRESS ("550" for it).

As a module: SmtpServer(...) starts the script and reads its Maildir; messages() gives
each message as (email.message.Message, raw bytes)."""

import argparse
import email
import email.policy
import mailbox
import os
import signal
import socket
import subprocess
import sys
import time

DEBIAN_PYTHON = "/usr/bin/python3"


class SmtpServer:
    def __init__(self, directory, tls_cert=None, tls_key=None, user=None, password=None,
                 defer_rcpt=0, refuse_rcpt=None):
        self.maildir = os.path.join(directory, "Maildir")
        port_file = os.path.join(directory, "smtp.port")
        self.log_path = os.path.join(directory, "smtp.log")
        args = [DEBIAN_PYTHON, os.path.abspath(__file__), "--maildir", self.maildir,
                "--port-file", port_file, "--defer-rcpt", str(defer_rcpt)]
        if tls_cert:
            args += ["--tls-cert", tls_cert, "--tls-key", tls_key]
        if user:
            args += ["--user", user, "--password", password]
        if refuse_rcpt:
            args += ["--refuse-rcpt", refuse_rcpt]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not os.path.exists(port_file) or not open(port_file).read().strip():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the SMTP server did not start: {self.log()}")
            time.sleep(0.05)
        self.port = int(open(port_file).read())

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def messages(self):
        """Every message received, oldest first, as (Message, raw bytes)."""
        box = mailbox.Maildir(self.maildir, create=False)
        # Keys begin with the delivery time in seconds and microseconds.
        raws = [box.get_bytes(key) for key in sorted(box.keys())]
        return [(email.message_from_bytes(raw, policy=email.policy.default), raw) for raw in raws]

    def wait_for_messages(self, count, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages()
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(options):
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox
    from aiosmtpd.smtp import AuthResult

    class Handler(Mailbox):
        deferred = 0

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if Handler.deferred < options.defer_rcpt:
                Handler.deferred += 1
                return "451 4.3.0 try again later"
            if options.refuse_rcpt and address.lower() == options.refuse_rcpt.lower():
                return "550 5.1.1 no such mailbox here"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login.decode() == options.user and
              auth_data.password.decode() == options.password)
        return AuthResult(success=ok, handled=False)

    parameters = {}
    if options.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(options.tls_cert, options.tls_key)
        parameters.update(tls_context=context, require_starttls=True)
    if options.user:
        parameters.update(authenticator=authenticate, auth_required=True,
                          auth_require_tls=bool(options.tls_cert))
    mailbox.Maildir(options.maildir, create=True)
    port = free_port()
    controller = Controller(Handler(options.maildir), hostname="127.0.0.1", port=port,
                            **parameters)
    controller.start()
    with open(options.port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(options.port_file + ".tmp", options.port_file)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--defer-rcpt", type=int, default=0)
    parser.add_argument("--refuse-rcpt")
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    serve(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
