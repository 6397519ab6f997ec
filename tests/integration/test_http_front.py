"""The HTTP front under hostile clients: bodies refused before they are read, slow and
idle clients disconnected, connections capped per address, anonymous and per-user
request rates, strict request shapes, and the headers every response carries. Each
test runs its own small server with tight limits (test_serve_config's helpers)."""

import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

import index_db
from server_process import run_cli
from test_serve_config import make_data_dir, start, stop

LIMITS = {
    "PACSPORT_REQUEST_HEADER_TIMEOUT_SECONDS": "2",
    "PACSPORT_MAX_CONNECTIONS_PER_ADDRESS": "8",
    "PACSPORT_ANONYMOUS_REQUESTS_PER_SECOND": "1",  # bursts of 4
    "PACSPORT_USER_REQUESTS_PER_SECOND": "2",       # bursts of 8
}


@pytest.fixture
def front(tmp_path):
    data = make_data_dir(tmp_path)
    process, base = start(data, str(tmp_path / "serve.log"), "--demo", env=LIMITS)
    host, port = base.rsplit("//", 1)[1].split(":")
    yield {"data": data, "base": base, "port": int(port), "log": str(tmp_path / "serve.log"),
           "pid": process.pid}
    stop(process)


def token(front, user="admin"):
    result = run_cli("token", "--data", front["data"], "--user", user)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def connect(front, source="127.0.0.1"):
    sock = socket.create_connection(("127.0.0.1", front["port"]), source_address=(source, 0),
                                    timeout=5)
    return sock


def read_answer(sock, timeout=5):
    """Everything the server sends until it closes or goes quiet; (status, headers, body)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        length = int(headers.get("Content-Length", 0))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    except (ConnectionResetError, socket.timeout):
        if not data:
            raise
    status = int(lines[0].split()[1])
    return status, headers, body


def closed_by_server(sock, within):
    """True when the server closes the connection within `within` seconds."""
    sock.settimeout(within)
    try:
        while sock.recv(65536):
            pass
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def get(front, path, headers=None):
    request = urllib.request.Request(front["base"] + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_an_oversized_content_length_is_refused_before_a_byte_of_body(front):
    sock = connect(front)
    sock.sendall(b"POST /api/instances HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                 + token(front).encode() + b"\r\nContent-Type: application/dicom\r\n"
                 b"Content-Length: 10000000000000\r\n\r\n")
    started = time.monotonic()
    status, headers, body = read_answer(sock)
    assert status == 413
    assert time.monotonic() - started < 1.5, "answered at once, not after a body timeout"
    assert json.loads(body)["error"]["code"] == "payload_too_large"
    assert closed_by_server(sock, within=5)


def test_expect_continue_is_refused_without_inviting_the_body(front):
    sock = connect(front)
    sock.sendall(b"POST /api/instances HTTP/1.1\r\nHost: x\r\nContent-Type: application/dicom\r\n"
                 b"Expect: 100-continue\r\nContent-Length: 5000\r\n\r\n")
    status, _, body = read_answer(sock)
    assert status == 401, "no 100 Continue for an anonymous upload"
    assert json.loads(body)["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("request_head, status", [
    (b"POST /api/no-such-route HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", 404),
    (b"GET /api/studies HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", 400),
    (b"POST /api/instances HTTP/1.1\r\nHost: x\r\nContent-Type: application/dicom\r\n"
     b"Content-Length: 100000\r\n\r\n", 401),
    (b"POST /api/instances HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer forged\r\n"
     b"Content-Length: 100000\r\n\r\n", 401),
    (b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
     b"Content-Length: 100000000\r\n\r\n", 413),
    (b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
])
def test_bodies_are_read_only_on_routes_that_take_one_after_authentication(front, request_head,
                                                                          status):
    sock = connect(front)
    sock.sendall(request_head)  # the announced body never comes
    answered, headers, body = read_answer(sock, timeout=1.5)
    assert answered == status
    assert set(json.loads(body)) == {"error"}
    assert closed_by_server(sock, within=5), "the unread body ends the connection"


def test_a_refused_body_sent_anyway_does_not_break_the_answer(front):
    sock = connect(front)
    sock.sendall(b"POST /api/no-such-route HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n"
                 + b"x" * 300000)
    status, _, _ = read_answer(sock)
    assert status == 404


def test_a_client_sending_its_headers_slowly_is_disconnected(front):
    sock = connect(front)
    started = time.monotonic()
    try:
        for byte in b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"y" * 100:
            sock.sendall(bytes([byte]))
            time.sleep(0.25)
            if time.monotonic() - started > 8:
                break
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert closed_by_server(sock, within=1)
    assert time.monotonic() - started < 5, "the header deadline is 2 s"


def test_an_idle_connection_is_disconnected(front):
    sock = connect(front)
    assert closed_by_server(sock, within=8)


def test_slow_clients_do_not_hold_the_server(front):
    """40 clients dribbling their headers, each from its own address: health still answers."""
    socks = []
    for i in range(40):
        sock = connect(front, source=f"127.0.1.{i + 2}")
        sock.sendall(b"GET /api/health HTTP/1.1\r\n")
        socks.append(sock)
    try:
        for _ in range(5):
            status, _, _ = get(front, "/api/health")
            assert status == 200
    finally:
        for sock in socks:
            sock.close()


def test_connections_are_capped_per_client_address(front):
    held = [connect(front, source="127.0.2.2") for _ in range(8)]
    for sock in held:
        sock.sendall(b"GET /api/health HTTP/1.1\r\n")  # keep them mid-request
    time.sleep(0.2)
    extra = connect(front, source="127.0.2.2")
    try:
        status, headers, _ = read_answer(extra, timeout=3)
        assert status == 429 and headers.get("Retry-After")
    except ConnectionResetError:
        pass  # refused before the answer could be read: also a refusal
    other = connect(front, source="127.0.2.3")
    other.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_answer(other)[0] == 200
    for sock in held + [extra, other]:
        sock.close()


def peak_rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        return int(re.search(r"VmHWM:\s+(\d+) kB", status.read()).group(1))


def audit_rows(front):
    with index_db.connect(front["data"]) as db:
        return db.execute("SELECT COUNT(*) FROM audit").fetchone()[0]


def test_anonymous_and_bad_token_requests_are_throttled_per_address_and_write_little(front):
    study = json.loads(get(front, "/api/studies", {"Authorization": "Bearer " + token(front)})[2])
    uid = study["studies"][0]["studyInstanceUID"]
    before = audit_rows(front)
    statuses = []
    for _ in range(30):
        status, headers, _ = get(front, f"/api/export/study/{uid}",
                                 {"Authorization": "Bearer not-a-token"})
        statuses.append(status)
        if status == 429:
            assert int(headers["Retry-After"]) >= 1
    assert statuses.count(401) <= 6, statuses
    assert statuses.count(429) >= 20, statuses
    assert audit_rows(front) - before <= 6, "denials are audited, but no faster than the rate"
    # Health checks are never throttled; a signed-in user is not the anonymous address.
    assert get(front, "/api/health")[0] == 200
    assert get(front, "/api/studies", {"Authorization": "Bearer " + token(front)})[0] == 200


def test_each_user_has_a_request_rate(front):
    auth = {"Authorization": "Bearer " + token(front)}
    statuses = [get(front, "/api/studies", auth)[0] for _ in range(20)]
    assert 200 in statuses and 429 in statuses, statuses


@pytest.mark.parametrize("target", [
    "/api/studies?limit=1&limit=2",
    "/api/patients/a%0Ab",
    "/api/patients/a%00b",
    "/api/patients/%C3%28",
    "/api/patients/%ED%A0%80",
    "/api/studies?modality=%FF",
])
def test_ambiguous_or_malformed_requests_are_400(front, target):
    status, headers, body = get(front, target, {"Authorization": "Bearer " + token(front)})
    assert status == 400, target
    assert json.loads(body)["error"]["code"] == "invalid_input"


def test_two_authorization_headers_are_400(front):
    sock = connect(front)
    bearer = b"Authorization: Bearer " + token(front).encode() + b"\r\n"
    sock.sendall(b"GET /api/studies HTTP/1.1\r\nHost: x\r\n" + bearer + bearer + b"\r\n")
    assert read_answer(sock)[0] == 400


def test_every_response_has_nosniff_and_a_request_id_that_the_log_and_audit_share(front):
    auth = {"Authorization": "Bearer " + token(front)}
    for path, headers in [("/api/health", {}), ("/api/nothing", {}), ("/api/studies", auth),
                          ("/api/studies?limit=0", auth), ("/", {})]:
        _, answer, _ = get(front, path, headers)
        assert answer["X-Content-Type-Options"] == "nosniff", path
        assert re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", answer["X-Request-Id"]), path
    uid = json.loads(get(front, "/api/studies", auth)[2])["studies"][0]["studyInstanceUID"]
    status, answer, _ = get(front, f"/api/export/study/{uid}?format=json", auth)
    assert status == 200
    request_id = answer["X-Request-Id"]
    records = json.loads(get(front, "/api/audit", auth)[2])["records"]
    assert records[0]["requestId"] == request_id
    with open(front["log"], errors="replace") as log:
        assert f"request_id={request_id}" in log.read()
    # A proxy's own id is kept when it is well-formed, replaced when not.
    _, answer, _ = get(front, "/api/health", {"X-Request-Id": "nginx-42.a_b"})
    assert answer["X-Request-Id"] == "nginx-42.a_b"
    _, answer, _ = get(front, "/api/health", {"X-Request-Id": "bad id\u00e9"})
    assert answer["X-Request-Id"] != "bad id\u00e9"


def test_an_upload_is_spooled_to_disk_not_held_in_memory(front, tmp_path):
    """A 300 MB upload (a DICOM file with one large private value) raises the server's
    peak memory by far less than its size."""
    import pydicom
    from pydicom.dataset import FileMetaDataset
    ds = pydicom.dcmread("/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm")
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.8.498.999.1"
    ds.add_new(0x00091010, "OB", b"\0" * (300 << 20))
    ds.private_block(0x0009, "PACSPORT TEST", create=True)
    path = tmp_path / "large.dcm"
    ds.save_as(path)
    with open(f"/proc/{front['pid']}/clear_refs", "w") as refs:
        refs.write("5")  # forget the start-up's peak
    before = peak_rss_kb(front["pid"])
    with open(path, "rb") as body:
        request = urllib.request.Request(
            front["base"] + "/api/instances", data=body, method="POST",
            headers={"Authorization": "Bearer " + token(front), "Content-Type": "application/dicom",
                     "Content-Length": str(path.stat().st_size)})
        with urllib.request.urlopen(request, timeout=120) as response:
            assert response.status == 201
    assert peak_rss_kb(front["pid"]) - before < 150 * 1024, "the upload was held in memory"
