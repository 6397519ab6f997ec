"""Client addresses behind a trusted reverse proxy (server.trusted_proxies, decision
0028): this test plays the proxy on 127.0.0.1 and sends X-Forwarded-For itself. With
127.0.0.1 trusted, the rightmost untrusted hop is the client of the audit record, the
access log, the login throttle and /metrics' loopback rule; without the setting the
header is ignored. Each server is pacsport's own, on a small data directory."""

import json
import os
import re
import secrets
import subprocess
import urllib.error
import urllib.request

import pytest

from server_process import pacsport_binary
from test_serve_config import login, make_data_dir, start, stop


def call(base, path, headers=None, method="GET", body=None):
    """(status, JSON body or None) of one request; errors are answers, not exceptions."""
    request = urllib.request.Request(base + path, method=method, headers=headers or {},
                                     data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def audited_client(base, token, forwarded_for):
    """Exports a study that does not exist (refused, and audited) with `forwarded_for`;
    returns the clientAddress of that request's audit record and its request id."""
    request_id = "proxy-test-" + secrets.token_hex(6)
    status, _ = call(base, "/api/export/study/1.2.3.404",
                     {"Authorization": f"Bearer {token}", "X-Request-Id": request_id,
                      "X-Forwarded-For": forwarded_for})
    assert status == 404
    status, body = call(base, "/api/audit?limit=50", {"Authorization": f"Bearer {token}"})
    assert status == 200
    records = [r for r in json.loads(body)["records"] if r["requestId"] == request_id]
    assert len(records) == 1, records
    return records[0]["clientAddress"], request_id


def failed_login(base, username, forwarded_for):
    headers = {"Content-Type": "application/json", "X-Forwarded-For": forwarded_for}
    status, _ = call(base, "/api/auth/login", headers, "POST",
                     {"username": username, "password": "wrong"})
    return status


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory):
    directory = tmp_path_factory.mktemp("trusted-proxies")
    data = make_data_dir(directory)
    config = directory / "pacsport.toml"
    config.write_text('[server]\ntrusted_proxies = ["127.0.0.1", "10.0.0.0/8"]\n')
    log = directory / "log"
    process, base = start(data, log, "--demo", "--config", str(config))
    try:
        yield base, login(base), log
    finally:
        stop(process)


def test_the_audit_and_the_log_name_the_forwarded_client(behind_proxy):
    base, token, log = behind_proxy
    # The leftmost entry is the client's own claim; 10.1.2.3 is a trusted proxy.
    client, request_id = audited_client(base, token, "127.0.0.9, 203.0.113.9, 10.1.2.3")
    assert client == "203.0.113.9"
    assert "event=trusted_proxies ranges=127.0.0.1/32,10.0.0.0/8" in log.read_text()
    assert re.search(rf"client=203\.0\.113\.9 request_id={request_id}\b", log.read_text())


def test_failed_logins_are_throttled_per_forwarded_client(behind_proxy):
    base, _, _ = behind_proxy
    # 20 failures from one address, each against a username of its own (so that no
    # username reaches its limit of 5), block that address and no other.
    for i in range(20):
        assert failed_login(base, f"guess-{i}", "203.0.113.20") == 401, i
    assert failed_login(base, "guess-last", "203.0.113.20") == 429
    assert failed_login(base, "guess-last", "203.0.113.21") == 401
    assert failed_login(base, "guess-last", "203.0.113.22, 127.0.0.1") == 401


def test_metrics_refuses_a_client_forwarded_from_elsewhere(behind_proxy):
    base, _, _ = behind_proxy
    assert call(base, "/metrics")[0] == 200
    # The proxy is loopback; the client it speaks for is not.
    status, body = call(base, "/metrics", {"X-Forwarded-For": "203.0.113.9"})
    assert status == 403
    assert json.loads(body)["error"]["code"] == "forbidden"
    assert call(base, "/metrics", {"X-Forwarded-For": "10.0.0.1, 127.0.0.1"})[0] == 403


def test_without_the_setting_the_header_is_ignored(tmp_path):
    data = make_data_dir(tmp_path)
    process, base = start(data, tmp_path / "log", "--demo")
    try:
        token = login(base)
        client, _ = audited_client(base, token, "203.0.113.9")
        assert client == "127.0.0.1"
        assert call(base, "/metrics", {"X-Forwarded-For": "203.0.113.9"})[0] == 200
    finally:
        stop(process)


def test_a_malformed_entry_stops_the_server_naming_it(tmp_path):
    data = make_data_dir(tmp_path)
    result = subprocess.run(
        [pacsport_binary(), "serve", "--data", data, "--listen", "127.0.0.1:0", "--demo"],
        env={**os.environ, "PACSPORT_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/33"},
        capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "server.trusted_proxies" in output and '"10.0.0.0/33"' in output, output
