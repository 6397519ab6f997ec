"""Export capacity shared fairly, over real HTTP on small servers of their own: each
user and each hospital has a share (429 with Retry-After beyond it, for streamed
exports and download links alike), a client that stops reading is dropped after
export.client_stall_seconds and audited "aborted", a hospital's maximum export size
refuses a larger plan with 413 before a byte, and HEAD neither starts an export nor
uses up a download link."""

import random
import socket
import time

from api_client import Api
from server_process import run_cli
from test_export_streaming import multi_frame_ct
from test_serve_config import CT_SMALL, start, stop

# Users: password "<name>-pass"; north-* in hospital North, river-a in River.
USERS = {"north-a": "North", "north-b": "North", "north-c": "North", "river-a": "River"}
STALL_SECONDS = 4


def make_data(tmp_path):
    """North holds CT_small and a 16 MiB study of noise (more than the socket buffers
    hold), River CT_small and a 3 MiB one. Returns (data, {hospital: (small, big)})."""
    data = str(tmp_path / "data")
    studies = {}
    for hospital, frames in (("North", 512), ("River", 96)):
        assert run_cli("hospital", "add", "--data", data, hospital).returncode == 0
        big_uid, content = multi_frame_ct(frames, random.Random(frames).randbytes)
        path = tmp_path / "big.dcm"
        path.write_bytes(content)
        assert run_cli("import", "--data", data, "--hospital", hospital, str(path)).returncode == 0
        studies[hospital] = big_uid
    for username, hospital in USERS.items():
        assert run_cli("user", "add", "--data", data, "--hospital", hospital, "--role", "admin",
                       username, stdin=username + "-pass\n").returncode == 0
    for hospital in ("North", "River"):
        assert run_cli("import", "--data", data, "--hospital", hospital,
                       CT_SMALL).returncode == 0
    return data, studies


def serve(tmp_path, data, **env):
    config = tmp_path / "pacsport.toml"
    config.write_text("[export.hospital_max_export_mb]\nRiver = 1\n")
    process, base = start(data, tmp_path / "log", "--demo", "--config", str(config), env={
        "PACSPORT_MAX_CONCURRENT_EXPORTS": "3", "PACSPORT_MAX_EXPORTS_PER_HOSPITAL": "2",
        "PACSPORT_MAX_EXPORTS_PER_USER": "1", "PACSPORT_CLIENT_STALL_SECONDS": str(STALL_SECONDS),
        **env})
    api = Api(base)
    for username in USERS:
        api.token(username)
    return process, base, api


def small_study(api, user, big_uid):
    studies = api.get_json("/api/studies", user)["studies"]
    return [s["studyInstanceUID"] for s in studies if s["studyInstanceUID"] != big_uid][0]


def stalled(api, user, path):
    """Starts GET `path` and reads nothing after the status line: a client holding its
    export. Returns the socket."""
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    client.connect((api.host, api.port))
    client.sendall((f"GET {path} HTTP/1.1\r\nHost: {api.host}\r\n"
                    f"Authorization: Bearer {api.token(user)}\r\n\r\n").encode())
    assert client.recv(12) == b"HTTP/1.1 200"
    return client


def assert_refused(response, status, code, *words):
    assert response.status == status, (response.status, response.body[:300])
    assert response.error_code() == code
    for word in words:
        assert word in response.json()["error"]["message"], response.json()
    if status == 429:
        assert response.header("Retry-After") == "5"


def audit_count(api, user="north-a"):
    """The records in the audit trail of `user`'s hospital."""
    return api.get_json("/api/audit", user, {"limit": 1})["total"]


def completed_audit(api, user, target, timeout=10):
    """The newest record of `user`'s export of `target`, once it is completed."""
    deadline = time.monotonic() + timeout
    while True:
        records = [r for r in api.get_json("/api/audit", user, {"user": user, "limit": 20})["records"]
                   if r["target"] == target]
        if records and records[0]["outcome"] != "in_progress":
            return records[0]
        assert time.monotonic() < deadline, records
        time.sleep(0.05)


def test_users_and_hospitals_have_shares_and_a_stalled_client_is_dropped(tmp_path):
    data, big = make_data(tmp_path)
    process, base, api = serve(tmp_path, data)
    try:
        north_small = small_study(api, "north-a", big["North"])
        # Without previews the archive starts at once: the stall is all the wait.
        big_path = f"/api/export/study/{big['North']}?compression=0&previews=false"
        holder = stalled(api, "north-a", big_path)
        started = time.monotonic()
        try:
            # north-a is at their share: refused, for a GET and for a link.
            assert_refused(api.get(f"/api/export/study/{north_small}", "north-a"), 429,
                           "too_many_requests", "your share")
            assert completed_audit(api, "north-a", north_small)["outcome"] == "over_capacity"
            assert_refused(api.request("POST", f"/api/export/link/study/{north_small}",
                                       token=api.token("north-a")), 429, "too_many_requests")
            # Another user of North still exports; holding a second slot, North is at
            # its share, and a third North user is refused while River still exports.
            response = api.get(f"/api/export/study/{north_small}", "north-b")
            assert response.status == 200 and response.complete
            second = stalled(api, "north-b", big_path)
            try:
                assert_refused(api.get(f"/api/export/study/{north_small}", "north-c"), 429,
                               "too_many_requests", "its share")
                river_small = small_study(api, "river-a", big["River"])
                response = api.get(f"/api/export/study/{river_small}", "river-a")
                assert response.status == 200 and response.complete
            finally:
                second.close()
            # The client that reads nothing is dropped after the stall, audited
            # aborted, and the connection ends without the archive's end.
            record = completed_audit(api, "north-a", big["North"], timeout=STALL_SECONDS + 10)
            assert record["outcome"] == "aborted", record
            elapsed = time.monotonic() - started
            # (Plus the time to fill the socket buffers; it was twice the stall before.)
            assert STALL_SECONDS / 2 <= elapsed < STALL_SECONDS + 3, (elapsed, record)
            holder.settimeout(10)
            received = b""
            while chunk := holder.recv(1 << 16):
                received += chunk
            assert not received.endswith(b"0\r\n\r\n"), "the stalled transfer looked complete"
        finally:
            holder.close()
        # Its slot is free again: north-a exports.
        response = api.get(f"/api/export/study/{north_small}", "north-a")
        assert response.status == 200 and response.complete
    finally:
        stop(process)


def test_a_link_is_checked_against_the_share_again_when_used(tmp_path):
    data, big = make_data(tmp_path)
    process, base, api = serve(tmp_path, data)
    try:
        north_small = small_study(api, "north-a", big["North"])
        response = api.request("POST", f"/api/export/link/study/{north_small}",
                               token=api.token("north-a"))
        assert response.status == 201, response.body
        holder = stalled(api, "north-a", f"/api/export/study/{big['North']}?compression=0")
        try:
            assert_refused(api.request("GET", response.json()["url"]), 429, "too_many_requests")
        finally:
            holder.close()
    finally:
        stop(process)


def test_an_export_over_the_hospitals_size_limit_gets_413_before_a_byte(tmp_path):
    data, big = make_data(tmp_path)
    # Every hospital's limit 8 MiB; River's own (in the file) 1 MiB.
    process, base, api = serve(tmp_path, data, PACSPORT_MAX_EXPORT_MB="8")
    try:
        for user, uid, limit in (("north-a", big["North"], 8), ("river-a", big["River"], 1)):
            before = audit_count(api, user)
            refused = api.get(f"/api/export/study/{uid}", user)
            assert_refused(refused, 413, "payload_too_large", "this export would be about ",
                           f"the hospital's limit is {limit} MiB")
            estimate = api.get_json(f"/api/export/estimate/study/{uid}", user)
            mib = -(-estimate["estimatedBytes"] // (1 << 20))
            assert f"about {mib} MiB" in refused.json()["error"]["message"]
            assert audit_count(api, user) == before + 1
            assert completed_audit(api, user, uid)["outcome"] == "denied"
            assert_refused(api.request("POST", f"/api/export/link/study/{uid}",
                                       token=api.token(user)), 413, "payload_too_large")
            # Without images the same study is small enough.
            response = api.get(f"/api/export/study/{uid}", user,
                               params={"includeImages": "false"})
            assert response.status == 200 and response.complete
        river_small = small_study(api, "river-a", big["River"])
        assert api.get(f"/api/export/study/{river_small}", "river-a").status == 200
    finally:
        stop(process)


def test_head_starts_no_export_and_leaves_a_link_unused(tmp_path):
    data, big = make_data(tmp_path)
    process, base, api = serve(tmp_path, data)
    try:
        north_small = small_study(api, "north-a", big["North"])
        token = api.token("north-a")
        before = audit_count(api)
        for path in (f"/api/export/study/{north_small}", "/api/export/patient/x",
                     "/api/export/all"):
            response = api.request("HEAD", path, token=token)
            assert response.status == 405, (path, response.status)
            assert response.header("Allow") == "GET"
            assert response.body == b""
        link = api.request("POST", f"/api/export/link/study/{north_small}", token=token).json()
        for method in ("HEAD", "POST", "PUT", "DELETE"):
            response = api.request(method, link["url"])
            assert response.status in (404, 405), (method, response.status)
        assert audit_count(api) == before, "HEAD or another method was audited as an export"
        # The link is still unused: its one GET delivers the archive.
        response = api.request("GET", link["url"])
        assert response.status == 200 and response.complete
        assert api.request("GET", link["url"]).status == 404
        # The used link's export and its refused reuse are both in North's trail: the
        # reuse is recorded under the link's user.
        assert audit_count(api) == before + 2
    finally:
        stop(process)
