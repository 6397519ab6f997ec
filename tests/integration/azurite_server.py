"""Azurite, Microsoft's Azure Storage emulator (npm, tests/emulators), as a child process
of the tests: its Blob service on a free loopback port, strict mode (no --loose, so an
unsupported header or parameter is refused as Azure would), a temporary workspace, and
a storage account of its own with a random key. The tests' own Blob client signs with
Shared Key (written here from Microsoft's documented algorithm, apart from the server's
C++ code) and makes container SAS tokens.

    with Azurite.running(directory) as azurite:
        azurite.create_container("exports")
        settings, secrets = azurite.destination("exports")

Azurite can be stopped and started again on the same port.

For benchmarks: `python3 tests/integration/azurite_server.py DIR CONTAINER` starts
Azurite in DIR, creates CONTAINER, prints one JSON line {"settings", "secrets"} of an
azure-blob destination to it, with "sas" a container SAS (read, create, write) for
other clients, and runs until killed (SIGTERM). AzuriteProxy sits between
pacsport and Azurite, records the requests, and can change one block's bytes on the way
or stop Azurite when a given block arrives."""

import base64
import contextlib
import datetime
import email.utils
import hashlib
import hmac
import http.client
import http.server
import os
import re
import secrets
import subprocess
import threading
import time
import urllib.parse

from orthanc_process import free_port

EMULATORS = os.path.join(os.path.dirname(__file__), "..", "emulators")
AZURITE_BLOB = os.path.join(EMULATORS, "node_modules", ".bin", "azurite-blob")
API_VERSION = "2023-11-03"


class Azurite:
    def __init__(self, directory):
        self.directory = directory
        self.port = free_port()
        self.account = "pacsporttest"
        self.key = base64.b64encode(secrets.token_bytes(64)).decode()
        self.endpoint = f"http://127.0.0.1:{self.port}/{self.account}"
        self.process = None

    @classmethod
    @contextlib.contextmanager
    def running(cls, directory):
        """A started Azurite, killed on leaving whatever happened."""
        azurite = cls(directory)
        azurite.start()
        try:
            yield azurite
        finally:
            azurite.kill()

    def start(self, timeout=60):
        """Starts Azurite (again) and waits until its Blob service answers."""
        if not os.access(AZURITE_BLOB, os.X_OK):
            raise RuntimeError(f"{AZURITE_BLOB} is missing: run scripts/install-deps.sh")
        environment = dict(os.environ, AZURITE_ACCOUNTS=f"{self.account}:{self.key}")
        log = open(os.path.join(self.directory, "azurite.log"), "ab")
        self.process = subprocess.Popen(
            [AZURITE_BLOB, "--blobHost", "127.0.0.1", "--blobPort", str(self.port),
             "--location", self.directory, "--disableTelemetry", "--silent"],
            stdout=log, stderr=subprocess.STDOUT, env=environment, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.request("GET", "", {"comp": "list"})
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Azurite did not start: {self.log()}")
                time.sleep(0.2)

    def stop(self, timeout=30):
        """SIGTERM and wait: Azurite saves its metadata (a kill would lose its recent
        containers and blobs) and refuses connections until started again."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 9)  # node and anything it started
            self.process.wait()

    def log(self):
        with open(os.path.join(self.directory, "azurite.log"), errors="replace") as f:
            return f.read()[-4000:]

    # --- a small Blob service client (Shared Key) ---

    def request(self, method, resource, query=None, body=b"", headers=None, timeout=60):
        """`resource` is "container" or "container/blob" (unencoded); answers
        (status, headers with lower-case names, body)."""
        query = query or {}
        path = f"/{self.account}/" + urllib.parse.quote(resource) if resource else f"/{self.account}/"
        headers = dict(headers or {})
        headers["x-ms-date"] = email.utils.formatdate(usegmt=True)
        headers["x-ms-version"] = API_VERSION
        headers["Content-Length"] = str(len(body))
        headers["Authorization"] = f"SharedKey {self.account}:{self._signature(method, path, query, headers, len(body))}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            url = path + ("?" + urllib.parse.urlencode(query) if query else "")
            connection.request(method, url, body=body, headers=headers)
            answer = connection.getresponse()
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
        finally:
            connection.close()

    def _signature(self, method, path, query, headers, length):
        lower = {k.lower(): v.strip() for k, v in headers.items()}
        standard = ["content-encoding", "content-language", None, "content-md5", "content-type", "date",
                    "if-modified-since", "if-match", "if-none-match", "if-unmodified-since", "range"]
        lines = [method] + [(str(length) if length else "") if name is None else lower.get(name, "")
                            for name in standard]
        text = "\n".join(lines) + "\n"
        text += "".join(f"{k}:{lower[k]}\n" for k in sorted(k for k in lower if k.startswith("x-ms-")))
        text += f"/{self.account}{path}"
        text += "".join(f"\n{k.lower()}:{query[k]}" for k in sorted(query, key=str.lower))
        digest = hmac.new(base64.b64decode(self.key), text.encode(), hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def create_container(self, container):
        status, _, body = self.request("PUT", container, {"restype": "container"})
        assert status == 201, (status, body)

    def blob_names(self, container, include_uncommitted=False):
        query = {"restype": "container", "comp": "list"}
        if include_uncommitted:
            query["include"] = "uncommittedblobs"
        status, _, body = self.request("GET", container, query)
        assert status == 200, (status, body)
        return re.findall(r"<Name>([^<]*)</Name>", body.decode())

    def blob(self, container, name):
        """(bytes, headers) of a blob, or None when there is none."""
        status, headers, body = self.request("GET", f"{container}/{name}")
        if status == 404:
            return None
        assert status == 200, (status, body)
        return body, headers

    def container_sas(self, container, permissions, hours=1):
        """A service SAS query string for `container` (version 2020-12-06 and later's
        string to sign), valid from a minute ago for `hours`."""
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        start = (now - datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        expiry = (now + datetime.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
        fields = [permissions, start, expiry, f"/blob/{self.account}/{container}", "", "", "http,https",
                  API_VERSION, "c", "", "", "", "", "", "", ""]
        text = "\n".join(fields)
        signature = base64.b64encode(
            hmac.new(base64.b64decode(self.key), text.encode(), hashlib.sha256).digest()).decode()
        return urllib.parse.urlencode({"sv": API_VERSION, "sp": permissions, "st": start, "se": expiry,
                                       "spr": "http,https", "sr": "c", "sig": signature})

    def destination(self, container, block_size_mib=None, prefix=None, key=None, sas=None):
        """The settings and secrets of an azure-blob destination to `container`: the
        account key unless a SAS is given."""
        settings = {"endpoint": self.endpoint, "account": self.account, "container": container}
        if block_size_mib is not None:
            settings["blockSizeMiB"] = block_size_mib
        if prefix is not None:
            settings["prefix"] = prefix
        secrets_ = {"sasToken": sas} if sas is not None else {"accountKey": key or self.key}
        return settings, secrets_


class AzuriteProxy:
    """An HTTP proxy in front of `azurite` (loopback, a port of its own). `requests`
    lists (method, path with query) as they arrive. `corrupt_block_once = n` flips a
    byte of the n-th Put Block (from 1) once; `stop_at_block = n` stops Azurite when
    the n-th Put Block arrives, before forwarding it. `lose_block_list_answers` forwards
    every Put Block List but drops Azurite's answer (the blob is committed, the client
    never hears it)."""

    def __init__(self, azurite):
        self.azurite = azurite
        self.requests = []
        self.corrupt_block_once = None
        self.stop_at_block = None
        self.lose_block_list_answers = False
        self._blocks = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.requests.append((self.command, self.path))
                if self.command == "PUT" and "comp=block&" in self.path + "&":
                    proxy._blocks += 1
                    if proxy._blocks == proxy.corrupt_block_once:
                        body = bytes([body[0] ^ 0xFF]) + body[1:]
                    if proxy._blocks == proxy.stop_at_block:
                        proxy.azurite.stop()
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", proxy.azurite.port, timeout=60)
                    connection.request(self.command, self.path, body=body, headers=headers)
                    answer = connection.getresponse()
                    data = answer.read()
                    connection.close()
                except OSError:
                    self.close_connection = True  # as a dead server would: no answer
                    return
                if proxy.lose_block_list_answers and "comp=blocklist" in self.path:
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_DELETE = do_HEAD = do_POST = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/{azurite.account}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def block_requests(self):
        return [path for method, path in self.requests if method == "PUT" and "comp=block&" in path + "&"]


if __name__ == "__main__":
    import json
    import signal
    import sys

    directory, container = sys.argv[1:3]
    with Azurite.running(directory) as emulator:
        emulator.create_container(container)
        settings, secrets_ = emulator.destination(container)
        sas = emulator.container_sas(container, "rcw", hours=8)
        print(json.dumps({"settings": settings, "secrets": secrets_, "sas": sas}), flush=True)
        # Blocked only now: Azurite, started above, keeps its default SIGTERM.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
        signal.sigwait({signal.SIGTERM, signal.SIGINT})
