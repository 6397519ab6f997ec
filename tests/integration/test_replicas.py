"""Two replicas behind nginx (issue 18, docs/deploy.md), on loopback: the project's own
nginx site (deploy/nginx-pacsport.conf) over TLS in front of two `pacsport serve`
sharing one data directory and one index (SQLite; PostgreSQL with
PACSPORT_TEST_INDEX=postgres, see replica_cluster.py). Logins, browsing, a streamed
export, a job, uploads and request ids through nginx; a single-use link made on one
replica and used on the other; nginx's failover, which retries what is idempotent and
never replays a POST; a replica killed with SIGKILL mid-job, whose job the other
finishes exactly once; the Orthanc sync, which runs on one replica and moves to the
other when that one dies. The systemd unit passes `systemd-analyze verify`."""

import hashlib
import io
import json
import os
import random
import re
import socket
import subprocess
import threading
import time
import zipfile

import pydicom
import pytest

from api_client import Api
from archive_checks import ZipUnderTest
from orthanc_process import Orthanc
from orthanc_proxy import OrthancProxy
from replica_cluster import REPO, Cluster, Nginx, Replica, cli, replica_environment
from server_process import pacsport_binary
from test_export_streaming import multi_frame_ct
from test_serve_config import CT_SMALL

INSTANCES = 40
JOB_LEASE_SECONDS = 3
FINAL = {"done", "failed", "cancelled"}


def make_data(env, directory, instances=INSTANCES, frames=40):
    """Hospital H, users admin and viewer, CT_small and a study of `instances` multi-
    frame CTs of noise (its job with previews takes seconds). Returns the data directory
    and that study's UID."""
    data = os.path.join(directory, "data")
    for args, stdin in [(("hospital", "add", "--data", data, "H"), None),
                        (("user", "add", "--data", data, "--hospital", "H", "--role", "admin",
                          "admin"), "admin-pass\n"),
                        (("user", "add", "--data", data, "--hospital", "H", "--role", "user",
                          "viewer"), "viewer-pass\n"),
                        (("import", "--data", data, "--hospital", "H", CT_SMALL), None)]:
        result = cli(env, *args, stdin=stdin)
        assert result.returncode == 0, result.stdout + result.stderr
    rng = random.Random(instances)
    study_uid, series_uid = pydicom.uid.generate_uid(), pydicom.uid.generate_uid()
    files = os.path.join(directory, "big")
    os.makedirs(files)
    for number in range(1, instances + 1):
        _, content = multi_frame_ct(frames, rng.randbytes)
        ds = pydicom.dcmread(io.BytesIO(content))
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.InstanceNumber = study_uid, series_uid, number
        ds.save_as(os.path.join(files, f"{number}.dcm"), write_like_original=False)
    result = cli(env, "import", "--data", data, "--hospital", "H", files)
    assert result.returncode == 0, result.stdout + result.stderr
    return data, study_uid


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("replicas"))
    env = replica_environment(PACSPORT_JOB_LEASE_SECONDS=str(JOB_LEASE_SECONDS),
                              PACSPORT_MAX_RUNNING_JOBS_PER_USER="2")
    data, big = make_data(env, directory)
    running = Cluster(directory, data, env)
    running.big = big
    yield running
    exit_codes = running.stop()
    assert exit_codes == [0] * len(exit_codes), exit_codes


def front(cluster):
    """A client of nginx, checking its TLS certificate."""
    return Api(cluster.nginx.base_url, cluster.nginx.ssl_context())


def direct(replica):
    return Api(replica.base_url)


def served_by(cluster):
    """How many requests nginx sent to each replica, by port, from its access log."""
    with open(cluster.nginx.access_log) as f:
        ports = re.findall(r"upstream=127\.0\.0\.1:(\d+)", f.read())
    return {replica.port: ports.count(str(replica.port)) for replica in cluster.replicas}


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def test_the_systemd_unit_passes_systemd_analyze_verify(tmp_path):
    with open(os.path.join(REPO, "deploy", "pacsport@.service")) as f:
        unit = f.read()
    assert unit.count("/usr/local/bin/pacsport ") == 1
    # An instance of the template, running the binary under test.
    path = tmp_path / "pacsport@8081.service"
    path.write_text(unit.replace("/usr/local/bin/pacsport ", pacsport_binary() + " "))
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(path)],
                            capture_output=True, text=True, timeout=60)
    # Unknown keys and bad values are only warnings: none may be printed.
    assert result.returncode == 0 and result.stderr == "", result.stderr
    for hardening in ("NoNewPrivileges=yes", "ProtectSystem=strict",
                      "ReadWritePaths=/srv/pacsport", "PrivateTmp=yes", "Restart=on-failure",
                      "User=pacsport", "EnvironmentFile=/etc/pacsport/pacsport.env",
                      "--data /srv/pacsport", "--listen ${PACSPORT_BIND}:%i"):
        assert hardening in unit


def test_logins_and_browsing_through_nginx_reach_both_replicas(cluster):
    api = front(cluster)
    before = served_by(cluster)
    for user in ("admin", "viewer"):
        response = api.login(user)
        assert response.status == 200, response.body
        api.tokens[user] = response.json()["token"]
    # A token from one replica is good on the other: the replicas share the JWT secret.
    for _ in range(6):
        studies = api.get_json("/api/studies", "viewer")
        assert {s["studyInstanceUID"] for s in studies["studies"]} >= {cluster.big}
    after = served_by(cluster)
    assert all(after[port] > before[port] for port in after), (before, after)
    for replica in cluster.replicas:
        assert direct(replica).get("/api/studies", token=api.tokens["admin"]).status == 200


def logged_within(seconds, read_log, text):
    """Whether `text` appears in the log within `seconds`: nginx writes its access log
    line after the response has left, so a client may be faster than the line."""
    deadline = time.monotonic() + seconds
    while text not in read_log():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_request_ids_are_passed_to_the_replica_and_made_when_missing(cluster):
    api = front(cluster)
    given = api.get("/api/health", headers={"X-Request-Id": "deploy-test.42"})
    assert given.status == 200 and given.header("X-Request-Id") == "deploy-test.42"
    assert any("request_id=deploy-test.42" in r.log() for r in cluster.replicas)
    for bad in ({}, {"X-Request-Id": "not valid!"}):
        made = api.get("/api/health", headers=bad).header("X-Request-Id")
        # nginx's own id, the same in its access log and in the replica's.
        assert re.fullmatch(r"[0-9a-f]{32}", made), made
        def access_log():
            with open(cluster.nginx.access_log) as f:
                return f.read()
        assert logged_within(5, access_log, f"request_id={made}")
        assert any(f"request_id={made}" in r.log() for r in cluster.replicas)


def test_the_audit_names_the_client_nginx_forwards_not_its_claims(cluster):
    # The replicas trust 127.0.0.1 (deploy/pacsport.env), where nginx connects from; this
    # client connects to nginx from 127.0.0.5 and claims to be someone else.
    api = front(cluster)
    request_id = "forwarded-client.7"
    refused = api.request("GET", "/api/export/study/1.2.3.404", token=api.token("admin"),
                          headers={"X-Request-Id": request_id, "X-Forwarded-For": "203.0.113.9"},
                          source_address=("127.0.0.5", 0))
    assert refused.status == 404
    records = api.get_json("/api/audit", "admin", {"limit": 50})["records"]
    assert [r["clientAddress"] for r in records if r["requestId"] == request_id] == ["127.0.0.5"]
    assert any(f"client=127.0.0.5 request_id={request_id}" in r.log() for r in cluster.replicas)


def test_a_streamed_export_through_nginx_is_the_one_a_replica_sends(cluster, tmp_path):
    path = f"/api/export/study/{cluster.big}"
    through = front(cluster).get(path, user="viewer", params={"previews": "false"})
    assert through.status == 200 and through.complete
    assert through.header("Transfer-Encoding") == "chunked"  # streamed, not buffered
    streamed = ZipUnderTest(through.body, str(tmp_path / "through"))
    streamed.check_manifest()
    direct_answer = direct(cluster.replicas[0]).get(path, user="viewer",
                                                    params={"previews": "false"})
    assert direct_answer.status == 200 and direct_answer.complete
    reference = ZipUnderTest(direct_answer.body, str(tmp_path / "direct"))
    # The same entries in the same order, byte for byte, but for those naming the export
    # itself (its time in the metadata, its audit record in the receipt, and the
    # manifest covering them).
    assert streamed.names == reference.names
    dicom = [n for n in streamed.names if n.endswith(".dcm")]
    assert len(dicom) == INSTANCES
    for name in streamed.names:
        if name.endswith(".dcm"):
            assert streamed.read(name) == reference.read(name), name
    # nginx kept nothing of the archive on its disk (proxy_buffering off).
    proxy_temp = os.path.join(cluster.nginx.directory, "proxy")
    assert [f for _, _, files in os.walk(proxy_temp) for f in files] == []


def wait_for_job(api, user, job_id, timeout, states=FINAL):
    deadline = time.monotonic() + timeout
    while True:
        job = api.get_json(f"/api/export/jobs/{job_id}", user)
        if job["state"] in states:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def submit_job(api, user, **body):
    response = api.request("POST", "/api/export/jobs", token=api.token(user),
                           body=json.dumps(body), content_type="application/json")
    assert response.status == 202, (response.status, response.body)
    return response.json()


def dicom_entries(archive):
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        assert z.testzip() is None
        return sum(name.endswith(".dcm") for name in z.namelist())


def test_a_job_runs_and_downloads_through_nginx_with_its_events(cluster):
    api = front(cluster)
    job = submit_job(api, "viewer", scope="study", ids=[cluster.big], previews=False)
    # Its events, as a browser reads them through nginx, to the final state.
    events = api.get(f"/api/export/jobs/{job['id']}/events", user="viewer", timeout=120)
    assert events.status == 200 and events.header("Content-Type").startswith("text/event-stream")
    states = [json.loads(line[len("data: "):])["state"]
              for line in events.body.decode().splitlines() if line.startswith("data: ")]
    assert states[-1] == "done", states
    done = wait_for_job(api, "viewer", job["id"], 60)
    archive = api.get(f"/api/export/jobs/{job['id']}/archive", user="viewer")
    assert archive.status == 200 and sha256(archive.body) == done["archive"]["sha256"]
    assert dicom_entries(archive.body) == INSTANCES
    # A resumed download through nginx: the range, as the replica cut it.
    tail = api.get(f"/api/export/jobs/{job['id']}/archive", user="viewer",
                   headers={"Range": "bytes=1000-"})
    assert tail.status == 206 and tail.body == archive.body[1000:]


def test_uploads_pass_the_ingest_limit_and_other_bodies_the_json_one(cluster):
    api = front(cluster)
    with open(CT_SMALL, "rb") as f:
        dicom = f.read()
    upload = api.request("POST", "/api/instances", token=api.token("admin"), body=dicom,
                         content_type="application/dicom")
    assert upload.status == 200, upload.body  # already present
    too_big = api.request("POST", "/api/auth/login", body=b"{" + b" " * (2 << 20) + b"}",
                          content_type="application/json")
    assert too_big.status == 413


def test_a_link_made_on_one_replica_is_used_once_on_the_other(cluster):
    a, b = (direct(replica) for replica in cluster.replicas)
    made = a.request("POST", f"/api/export/link/study/{cluster.big}?previews=false",
                     token=a.token("viewer"))
    assert made.status == 201, made.body
    link = made.json()
    used = b.request("GET", link["url"])
    assert used.status == 200 and used.complete and dicom_entries(used.body) == INSTANCES
    assert a.request("GET", link["url"]).status == 404  # used: on any replica
    status = a.get_json(link["statusUrl"], "viewer")
    assert status["state"] == "completed", status


class BlackHole:
    """A "replica" that accepts a connection, reads the request and dies without an
    answer: what nginx sees of a replica killed while it handles a request."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.port = self.socket.getsockname()[1]
        self.requests = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(5)
                try:
                    self.requests.append(connection.recv(65536).split(b"\r\n", 1)[0])
                except OSError:
                    pass

    def close(self):
        self.socket.close()


def first_request_through(tmp_path, name, replica, method, path, token, body=None):
    """`method path` sent through a fresh nginx whose first replica is a BlackHole (which
    its single worker tries first) and whose second is `replica`: (answer, what the
    black hole read, how many such requests `replica` logged meanwhile)."""
    hole = BlackHole()
    nginx = Nginx(str(tmp_path / name), [hole.port, replica.port])
    route = f'route="{method} '
    before = replica.log().count(route)
    try:
        api = Api(nginx.base_url, nginx.ssl_context())
        answer = api.request(method, path, token=token, body=body,
                             content_type="application/json" if body else None)
    finally:
        nginx.stop()
        hole.close()
    return answer, hole.requests, replica.log().count(route) - before


def test_nginx_retries_a_get_on_the_other_replica_but_never_a_post(cluster, tmp_path):
    replica = cluster.replicas[0]
    token = direct(replica).token("viewer")
    answer, lost, served = first_request_through(tmp_path, "get", replica, "GET",
                                                 "/api/studies", token)
    assert [line.split(b" ")[0] for line in lost] == [b"GET"]
    assert answer.status == 200 and served == 1  # sent again, to the live replica
    job = json.dumps({"scope": "study", "ids": [cluster.big], "includeImages": False})
    answer, lost, served = first_request_through(tmp_path, "post", replica, "POST",
                                                 "/api/export/jobs", token, job)
    assert [line.split(b" ")[0] for line in lost] == [b"POST"]
    assert answer.status == 502 and served == 0  # never sent to a second replica


def replica_writing(cluster, job_id):
    """The replica with the job's partial archive open (found in /proc: whatever the
    file's exact name, no log or API needed)."""
    prefix = os.path.join(cluster.data_dir, "jobs", job_id + ".")
    for replica in cluster.replicas:
        fd_dir = f"/proc/{replica.process.pid}/fd"
        try:
            targets = [os.readlink(os.path.join(fd_dir, fd)) for fd in os.listdir(fd_dir)]
        except (FileNotFoundError, ProcessLookupError):
            continue
        if any(t.startswith(prefix) and t.endswith(".partial") for t in targets):
            return replica
    return None


def test_a_replica_killed_mid_job_leaves_it_to_the_other_which_finishes_it_once(cluster):
    api = front(cluster)
    job = submit_job(api, "admin", scope="study", ids=[cluster.big], previews=True)
    deadline = time.monotonic() + 60
    while (runner := replica_writing(cluster, job["id"])) is None:
        assert time.monotonic() < deadline, "no replica ever wrote the job's archive"
        time.sleep(0.02)
    runner.kill()
    try:
        # Browsing goes on through nginx meanwhile: the dead replica is passed over.
        for _ in range(4):
            assert api.get("/api/studies", user="admin").status == 200
        done = wait_for_job(api, "admin", job["id"], JOB_LEASE_SECONDS + 20)
        assert done["state"] == "done", done
        jobs_dir = os.path.join(cluster.data_dir, "jobs")
        assert sorted(n for n in os.listdir(jobs_dir) if n.startswith(job["id"])) == \
            [job["id"] + ".zip"]
        archive = api.get(f"/api/export/jobs/{job['id']}/archive", user="admin").body
        assert sha256(archive) == done["archive"]["sha256"]
        assert dicom_entries(archive) == INSTANCES
        # Its runs in the audit: the killed one is failed as interrupted once its lease
        # is over, and exactly one succeeded.
        deadline = time.monotonic() + JOB_LEASE_SECONDS + 20
        while True:
            runs = [r for r in api.get_json("/api/audit", "admin", {"limit": 1000})["records"]
                    if r["endpoint"] == "JOB /api/export/jobs/:id"
                    and r["parameters"].get("job") == job["id"]]
            if all(r["outcome"] != "in_progress" for r in runs) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert sorted(r["outcome"] for r in runs) == ["failed", "success"], runs
    finally:
        runner.start()


def orthanc_config(directory, hospital, orthanc_url):
    path = os.path.join(directory, f"config-{orthanc_url.rsplit(':', 1)[1]}.toml")
    with open(path, "w") as f:
        f.write(f'[[sources]]\nname = "pacs"\nkind = "orthanc"\nurl = "{orthanc_url}"\n'
                f'hospital = "{hospital}"\npoll_interval_seconds = 1\n')
    return path


def changes_polled(proxy, since):
    return sum(path.startswith("/changes") for path in proxy.paths[since:])


def test_the_orthanc_sync_runs_on_one_replica_and_moves_when_it_dies(tmp_path):
    env = replica_environment(PACSPORT_JOB_LEASE_SECONDS=str(JOB_LEASE_SECONDS))
    data = str(tmp_path / "data")
    assert cli(env, "hospital", "add", "--data", data, "H").returncode == 0
    assert cli(env, "user", "add", "--data", data, "--hospital", "H", "--role", "admin", "admin",
               stdin="admin-pass\n").returncode == 0
    with Orthanc.running(str(tmp_path / "orthanc")) as orthanc, \
            OrthancProxy(orthanc) as proxy_a, OrthancProxy(orthanc) as proxy_b:
        orthanc.upload_files([CT_SMALL])
        # Each replica reaches the one Orthanc through its own proxy, which counts its
        # requests: the replica that syncs is the one polling the change feed.
        proxies = [proxy_a, proxy_b]
        replicas = []
        try:
            for name, proxy in zip("ab", proxies):
                replicas.append(Replica(name, data, str(tmp_path), env,
                                        orthanc_config(str(tmp_path), "H", proxy.url)))
            time.sleep(4)  # four poll intervals
            marks = [len(p.paths) for p in proxies]
            time.sleep(3)
            polling = [changes_polled(p, m) > 0 for p, m in zip(proxies, marks)]
            assert polling.count(True) == 1, f"replicas polling Orthanc's changes: {polling}"
            syncing = polling.index(True)
            replicas[syncing].kill()
            survivor, its_proxy = replicas[1 - syncing], proxies[1 - syncing]
            mr = "/usr/lib/python3/dist-packages/pydicom/data/test_files/MR_small.dcm"
            orthanc.upload_files([mr])
            uid = pydicom.dcmread(mr).StudyInstanceUID
            api = direct(survivor)
            deadline = time.monotonic() + JOB_LEASE_SECONDS + 20
            while uid not in {s["studyInstanceUID"] for s in
                              api.get_json("/api/studies", "admin")["studies"]}:
                assert time.monotonic() < deadline, "the sync did not resume on the survivor"
                time.sleep(0.2)
            assert changes_polled(its_proxy, marks[1 - syncing]) > 0
        finally:
            for replica in replicas:
                replica.stop()
