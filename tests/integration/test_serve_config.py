"""`pacsport serve` configurations beyond the shared demo server: HTTPS, a refused
start without a JWT secret, and an export refused with 503 when its audit record
cannot be written. Each test runs its own small server."""

import json
import os
import re
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest

import index_db
from server_process import pacsport_binary, run_cli

CT_SMALL = "/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm"


def make_data_dir(path):
    """A data directory with one hospital, one admin (password admin-pass) and CT_small."""
    data = str(path / "data")
    assert run_cli("hospital", "add", "--data", data, "H").returncode == 0
    assert run_cli("user", "add", "--data", data, "--hospital", "H", "--role", "admin", "admin",
                   stdin="admin-pass\n").returncode == 0
    assert run_cli("import", "--data", data, "--hospital", "H", CT_SMALL).returncode == 0
    return data


def start(data, log_path, *args, env=None, listen="127.0.0.1:0"):
    """Starts `pacsport serve`; returns (process, base URL) once it logs its address."""
    log = open(log_path, "wb")
    process = subprocess.Popen([pacsport_binary(), "serve", "--data", data,
                                "--listen", listen, *args],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               env={**os.environ, **(env or {})})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with open(log_path, errors="replace") as f:
            match = re.search(r"event=listening url=(https?://[\d.]+:\d+)", f.read())
        if match:
            return process, match.group(1)
        assert process.poll() is None, open(log_path).read()
        time.sleep(0.05)
    raise AssertionError("the server did not start")


def stop(process):
    process.terminate()
    assert process.wait(timeout=10) == 0


def login(base, context=None):
    request = urllib.request.Request(
        base + "/api/auth/login", method="POST", headers={"Content-Type": "application/json"},
        data=json.dumps({"username": "admin", "password": "admin-pass"}).encode())
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        return json.load(response)["token"]


def test_https_when_certificate_and_key_are_configured(tmp_path):
    data = make_data_dir(tmp_path)
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    process, base = start(data, tmp_path / "log", "--demo", env={
        "PACSPORT_TLS_CERTIFICATE": cert, "PACSPORT_TLS_PRIVATE_KEY": key})
    try:
        assert base.startswith("https://")
        context = ssl.create_default_context(cafile=cert)
        token = login(base, context)
        request = urllib.request.Request(base + "/api/studies",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            assert json.load(response)["total"] == 1
        # Plain HTTP on the TLS port gets no API answer.
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            urllib.request.urlopen(base.replace("https://", "http://") + "/api/health", timeout=5)
    finally:
        stop(process)


def test_serve_refuses_to_start_without_a_secret(tmp_path):
    data = make_data_dir(tmp_path)
    # A secret kept by an earlier --demo run does not count without --demo.
    process, _ = start(data, tmp_path / "log", "--demo")
    stop(process)
    assert os.path.exists(os.path.join(data, "jwt-secret"))
    env = {k: v for k, v in os.environ.items() if k != "PACSPORT_JWT_SECRET"}
    result = subprocess.run([pacsport_binary(), "serve", "--data", data, "--listen", "127.0.0.1:0"],
                            capture_output=True, text=True, timeout=30, env=env)
    assert result.returncode != 0
    assert "JWT secret" in result.stderr


def test_serve_refuses_a_short_secret(tmp_path):
    data = make_data_dir(tmp_path)
    result = subprocess.run([pacsport_binary(), "serve", "--data", data, "--listen", "127.0.0.1:0"],
                            capture_output=True, text=True, timeout=30,
                            env={**os.environ, "PACSPORT_JWT_SECRET": "short"})
    assert result.returncode != 0
    assert "secret" in result.stderr


def test_export_is_refused_when_the_audit_cannot_be_written(tmp_path):
    data = make_data_dir(tmp_path)
    process, base = start(data, tmp_path / "log", "--demo")
    try:
        token = login(base)
        with urllib.request.urlopen(urllib.request.Request(
                base + "/api/studies", headers={"Authorization": f"Bearer {token}"})) as r:
            uid = json.load(r)["studies"][0]["studyInstanceUID"]
        before = len(run_cli("audit", "--data", data).stdout.splitlines())

        # Another process holds the database's write lock: the audit record cannot be
        # written within the busy (or lock) timeout, so nothing may be exported.
        with index_db.table_write_locked(data, "audit"):
            request = urllib.request.Request(base + f"/api/export/study/{uid}",
                                             headers={"Authorization": f"Bearer {token}"})
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=60)
            assert refused.value.code == 503
            body = json.load(refused.value)
            assert body["error"]["code"] == "unavailable"
        # The refused attempt left no half-written record; the next export works.
        assert len(run_cli("audit", "--data", data).stdout.splitlines()) == before
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200 and len(response.read()) > 0
    finally:
        stop(process)
