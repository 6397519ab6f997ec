"""moto_server (moto 5, from the machine's pyenv Python) as the S3 store of the delivery
tests, with signatures checked: it starts with INITIAL_NO_AUTH_ACTION_COUNT so that
only the set-up calls below go unsigned, then creates an IAM user allowed s3:*, its
access key, and a bucket. Every later request must carry a valid SigV4 signature of
that key (a wrong secret gets 403 SignatureDoesNotMatch).

The tests read the store back with `curl --aws-sigv4` (Debian's python3 has no boto3):

    with MotoS3.running() as s3:
        s3.create_bucket("exports")
        s3.get_object("exports", key)           # bytes
        s3.list_keys("exports")                 # [key, ...]
        s3.pending_uploads("exports")           # [(key, upload id), ...]

S3Proxy sits between pacsport and the store and can refuse UploadPart requests or
change one byte of their bodies, so that a test can break a multipart upload at an
exact point while the store stays real."""

import contextlib
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
from xml.sax.saxutils import unescape

from orthanc_process import free_port

SETUP_CALLS = 3  # CreateUser, CreateAccessKey, PutUserPolicy; buckets are made signed


def moto_server_path():
    """moto_server of the pyenv Python the machine image carries, or None."""
    found = shutil.which("moto_server")
    if found and os.path.realpath(found).startswith("/root/.pyenv/shims"):
        found = None
    candidates = [found] if found else []
    root = os.environ.get("PYENV_ROOT", "/root/.pyenv")
    versions = os.path.join(root, "versions")
    if os.path.isdir(versions):
        candidates += [os.path.join(versions, v, "bin", "moto_server") for v in sorted(os.listdir(versions))]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


class MotoS3:
    REGION = "us-east-1"

    def __init__(self, port):
        self.port = port
        self.endpoint = f"http://127.0.0.1:{port}"
        self.access_key = None
        self.secret_key = None
        self._process = None

    @classmethod
    @contextlib.contextmanager
    def running(cls):
        s3 = cls(free_port())
        s3.start()
        try:
            s3.create_credentials()
            yield s3
        finally:
            s3.stop()

    def start(self):
        binary = moto_server_path()
        assert binary, "moto_server is missing: scripts/install-deps.sh says how to get it"
        env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(SETUP_CALLS))
        self._process = subprocess.Popen(
            [binary, "-H", "127.0.0.1", "-p", str(self.port)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self._process.poll() is None, "moto_server exited at start"
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/moto-api/")
                connection.getresponse().read()
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("moto_server did not start within 30 s")

    def stop(self):
        if self._process and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()

    def _iam(self, **parameters):
        parameters["Version"] = "2010-05-08"
        body = urllib.parse.urlencode(parameters)
        answer = subprocess.run(
            ["curl", "-sS", "--fail-with-body", "--aws-sigv4", f"aws:amz:{self.REGION}:iam",
             "--user", "AKIAUNSIGNEDSETUP:x", "-H", "Content-Type: application/x-www-form-urlencoded",
             "--data-binary", body, self.endpoint + "/"],
            capture_output=True, text=True, check=True)
        return answer.stdout

    def create_credentials(self):
        self._iam(Action="CreateUser", UserName="pacsport")
        created = self._iam(Action="CreateAccessKey", UserName="pacsport")
        self.access_key = _element(created, "AccessKeyId")
        self.secret_key = _element(created, "SecretAccessKey")
        policy = {"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        self._iam(Action="PutUserPolicy", UserName="pacsport", PolicyName="s3",
                  PolicyDocument=json.dumps(policy))

    def settings(self, bucket, **more):
        """A destination's settings and secrets for `bucket` of this store."""
        settings = {"endpoint": self.endpoint, "region": self.REGION, "bucket": bucket,
                    "accessKeyId": self.access_key}
        settings.update(more)
        return settings, {"secretAccessKey": self.secret_key}

    def request(self, method, path, query="", body=None, output=None):
        """A signed request; (status, body bytes) or, with `output`, the body to that file."""
        url = self.endpoint + path + ("?" + query if query else "")
        command = ["curl", "-sS", "-X", method, "--aws-sigv4", f"aws:amz:{self.REGION}:s3",
                   "--user", f"{self.access_key}:{self.secret_key}",
                   "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-w", "%{http_code}",
                   "-o", output or "-", url]
        if body is not None:
            command[1:1] = ["--data-binary", "@-", "-H", "Content-Type: application/octet-stream"]
        answer = subprocess.run(command, input=body, capture_output=True, check=True)
        status = int(answer.stdout[-3:])
        return status, answer.stdout[:-3]

    def create_bucket(self, bucket):
        status, body = self.request("PUT", "/" + bucket)
        assert status == 200, body

    def get_object(self, bucket, key, output):
        """Writes the object to `output`; its HTTP status."""
        return self.request("GET", f"/{bucket}/{urllib.parse.quote(key)}", output=output)[0]

    def head_object(self, bucket, key):
        """The object's headers (lower-case names), or None when it does not exist."""
        url = f"{self.endpoint}/{bucket}/{urllib.parse.quote(key)}"
        answer = subprocess.run(
            ["curl", "-sS", "-I", "--aws-sigv4", f"aws:amz:{self.REGION}:s3",
             "--user", f"{self.access_key}:{self.secret_key}",
             "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", url],
            capture_output=True, text=True, check=True)
        lines = answer.stdout.splitlines()
        if not lines or " 200 " not in lines[0] + " ":
            return None
        return {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:]) if v}

    def list_keys(self, bucket):
        status, body = self.request("GET", "/" + bucket, "list-type=2")
        assert status == 200, body
        return [unescape(k) for k in re.findall(r"<Key>(.*?)</Key>", body.decode())]

    def pending_uploads(self, bucket):
        status, body = self.request("GET", "/" + bucket, "uploads=")
        assert status == 200, body
        uploads = re.findall(r"<Upload>(.*?)</Upload>", body.decode(), re.S)
        return [(unescape(_element(u, "Key")), _element(u, "UploadId")) for u in uploads]


def _element(xml, name):
    match = re.search(f"<{name}>(.*?)</{name}>", xml, re.S)
    assert match, f"no <{name}> in {xml[:300]}"
    return match.group(1)


class S3Proxy:
    """A forwarding HTTP proxy to a MotoS3 that keeps the Host header (it is signed).
    `fail_parts_from` (a part number) answers 503 to that part and every later one;
    `corrupt_part_once` changes one byte of that part's body the first time it is sent.
    `requests` records (method, path with query) of everything forwarded or refused."""

    def __init__(self, s3):
        self.s3 = s3
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.fail_parts_from = None
        self.corrupt_part_once = None
        self.requests = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def forward(self):
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                part = int(query["partNumber"][0]) if "partNumber" in query else None
                proxy.requests.append((self.command, self.path))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if part is not None and proxy.fail_parts_from is not None and part >= proxy.fail_parts_from:
                    self.send_response(503)
                    answer = b"<Error><Code>ServiceUnavailable</Code><Message>test proxy</Message></Error>"
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                if part is not None and part == proxy.corrupt_part_once and body:
                    proxy.corrupt_part_once = None
                    body = bytes([body[0] ^ 0xFF]) + body[1:]
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                connection = http.client.HTTPConnection("127.0.0.1", proxy.s3.port, timeout=120)
                try:
                    connection.putrequest(self.command, self.path, skip_host=True,
                                          skip_accept_encoding=True)
                    for name, value in headers.items():
                        connection.putheader(name, value)
                    connection.endheaders(body if body or self.command in ("PUT", "POST") else None)
                    answer = connection.getresponse()
                    data = answer.read()
                    self.send_response(answer.status)
                    for name, value in answer.getheaders():
                        if name.lower() not in ("content-length", "connection", "transfer-encoding",
                                                "server", "date"):
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                finally:
                    connection.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = forward

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
