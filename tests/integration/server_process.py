"""Runs the pacsport binary: the CLI commands and `pacsport serve` as a child process
on a port the kernel picks, with its log captured in a file. On the PostgreSQL round
(index_db.py) every command runs through pacsport_on_postgres.sh, which gives it its
data directory's database."""

import os
import re
import signal
import subprocess
import time
import urllib.request

import index_db

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pacsport_binary():
    binary = os.environ.get("PACSPORT_BIN", os.path.join(REPO, "build", "src", "app", "pacsport"))
    if not os.access(binary, os.X_OK):
        raise RuntimeError(f"pacsport binary not found at {binary}: build it or set PACSPORT_BIN")
    if index_db.on_postgres():
        os.environ["PACSPORT_REAL_BIN"] = os.path.abspath(binary)
        return os.path.join(os.path.dirname(os.path.abspath(__file__)), "pacsport_on_postgres.sh")
    return os.path.abspath(binary)


def run_cli(*args, stdin=None, timeout=120):
    """Runs `pacsport ARGS...`; returns the CompletedProcess (text mode)."""
    return subprocess.run([pacsport_binary(), *args], input=stdin, capture_output=True,
                          text=True, timeout=timeout)


def seed_demo(data_dir, corpus_root):
    subprocess.run(["bash", os.path.join(REPO, "scripts", "seed-demo.sh"), pacsport_binary(),
                    data_dir, corpus_root], check=True, capture_output=True, timeout=300)


class Server:
    """`pacsport serve --demo` on 127.0.0.1 with a kernel-chosen port."""

    LISTENING = re.compile(r"event=listening url=(http://127\.0\.0\.1:\d+)")

    def __init__(self, data_dir, log_dir):
        self.data_dir = data_dir
        self.stdout_path = os.path.join(log_dir, "server.stdout")
        self.stderr_path = os.path.join(log_dir, "server.stderr")
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                [pacsport_binary(), "serve", "--data", data_dir, "--listen", "127.0.0.1:0", "--demo"],
                stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        self.base_url = self._wait_until_listening()
        self._wait_until_healthy()

    def _wait_until_listening(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = self.LISTENING.search(self.log())
            if match:
                return match.group(1)
            if self.process.poll() is not None:
                raise RuntimeError(f"pacsport serve exited with {self.process.returncode}: "
                                   f"{self.stderr()}")
            time.sleep(0.05)
        raise RuntimeError("pacsport serve did not report its address")

    def _wait_until_healthy(self, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.base_url + "/api/health", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.05)

    @property
    def port(self):
        return int(self.base_url.rsplit(":", 1)[1])

    def log(self):
        with open(self.stdout_path, "r", errors="replace") as f:
            return f.read()

    def stderr(self):
        with open(self.stderr_path, "r", errors="replace") as f:
            return f.read()

    def alive(self):
        return self.process.poll() is None

    def stop(self, timeout=10):
        """SIGTERM, then the exit code (None if it had to be killed)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None
