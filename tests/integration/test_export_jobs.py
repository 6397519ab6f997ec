"""Export jobs over real HTTP (issue 13): a job's archive is the streamed export's,
its progress streams as Server-Sent Events, its download resumes with Range (curl -C -
included) and through a single-use link, batches lay patients out as an export of
all, a user over their running limit queues instead of failing, a cancelled job or a
full disk leaves no file, archives expire, and a server killed mid-job runs the job
again after its restart (once its 2 s lease expired), to one archive. Each server here is the module's own."""

import hashlib
import http.client
import io
import json
import os
import random
import signal
import subprocess
import time
import zipfile

import pydicom
import pytest

import index_db
from api_client import Api
from archive_checks import validate_document
from server_process import run_cli, seed_demo
from test_export_streaming import multi_frame_ct
from test_serve_config import CT_SMALL, start, stop

CORPUS = "/usr/lib/python3/dist-packages/pydicom/data/test_files"
FINAL = {"done", "failed", "cancelled"}


def import_big_study(data, tmp_path, hospital, instances=40, frames=10):
    """A study of `instances` multi-frame instances of noise, whose export with
    previews takes seconds. Returns its Study Instance UID."""
    rng = random.Random(instances * frames)
    study_uid = pydicom.uid.generate_uid()
    series_uid = pydicom.uid.generate_uid()
    directory = tmp_path / f"big-{instances}-{frames}"
    directory.mkdir()
    for number in range(1, instances + 1):
        _, content = multi_frame_ct(frames, rng.randbytes)
        ds = pydicom.dcmread(io.BytesIO(content))
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.InstanceNumber = study_uid, series_uid, number
        ds.save_as(str(directory / f"{number}.dcm"), write_like_original=False)
    result = run_cli("import", "--data", data, "--hospital", hospital, str(directory))
    assert result.returncode == 0, result.stdout + result.stderr
    return study_uid


class Jobs:
    """The jobs API of one server, as `user`."""

    def __init__(self, base):
        self.api = Api(base)

    def submit(self, user, **body):
        response = self.api.request("POST", "/api/export/jobs", token=self.api.token(user),
                                    body=json.dumps(body), content_type="application/json")
        return response

    def start(self, user, **body):
        response = self.submit(user, **body)
        assert response.status == 202, (response.status, response.body)
        job = response.json()
        assert job["state"] == "queued" and job["url"] == f"/api/export/jobs/{job['id']}"
        return job

    def get(self, user, job_id):
        return self.api.get_json(f"/api/export/jobs/{job_id}", user)

    def wait(self, user, job_id, states=FINAL, timeout=120):
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(user, job_id)
            if job["state"] in states:
                return job
            assert time.monotonic() < deadline, job
            time.sleep(0.05)

    def archive(self, user, job_id, headers=None):
        return self.api.get(f"/api/export/jobs/{job_id}/archive", user=user, headers=headers)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def entries(archive):
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        assert z.testzip() is None
        return {name: z.read(name) for name in z.namelist()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo data plus a big study in Northside General, served with jobs limited
    to one running per user."""
    tmp = tmp_path_factory.mktemp("jobs")
    data = str(tmp / "data")
    seed_demo(data, CORPUS)
    big = import_big_study(data, tmp, "Northside General", frames=40)
    process, base = start(data, tmp / "log", "--demo", env={
        "PACSPORT_MAX_RUNNING_JOBS": "2", "PACSPORT_MAX_RUNNING_JOBS_PER_USER": "1",
        "PACSPORT_MAX_RUNNING_JOBS_PER_HOSPITAL": "2"})
    yield {"data": data, "base": base, "jobs": Jobs(base), "big": big}
    stop(process)


def first_study(jobs, user):
    return jobs.api.get_json("/api/studies", user, {"limit": 1})["studies"][0]


def test_a_jobs_archive_holds_the_streamed_exports_entries_and_dicom_bytes(demo):
    jobs = demo["jobs"]
    study = first_study(jobs, "north-user")
    uid = study["studyInstanceUID"]
    job = jobs.start("north-user", scope="study", ids=[uid], previews=True)
    done = jobs.wait("north-user", job["id"])
    assert done["state"] == "done", done
    assert done["archiveName"] == f"study_{uid}_export.zip"
    progress = done["progress"]
    assert progress["instancesDone"] == progress["instancesTotal"] > 0
    assert progress["bytesDone"] == progress["bytesTotal"] == done["archive"]["size"]

    response = jobs.archive("north-user", job["id"])
    assert response.status == 200
    assert int(response.header("Content-Length")) == done["archive"]["size"] == len(response.body)
    assert response.header("ETag") == f'"{done["archive"]["sha256"]}"'
    assert response.header("Accept-Ranges") == "bytes"
    assert sha256(response.body) == done["archive"]["sha256"]

    streamed = jobs.api.export("study", uid, user="north-user")
    assert streamed.status == 200
    from_job, from_stream = entries(response.body), entries(streamed.body)
    assert set(from_job) == set(from_stream)
    for name in from_job:
        if name.endswith(".dcm"):
            assert from_job[name] == from_stream[name], name


def test_progress_streams_as_server_sent_events_until_the_final_state(demo):
    jobs = demo["jobs"]
    job = jobs.start("north-admin", scope="study", ids=[demo["big"]], previews=True)
    connection = http.client.HTTPConnection(jobs.api.host, jobs.api.port, timeout=120)
    connection.request("GET", f"/api/export/jobs/{job['id']}/events",
                       headers={"Authorization": "Bearer " + jobs.api.token("north-admin")})
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/event-stream")
    events = []
    for block in response.read().decode().split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith(":")]
        if lines:
            assert lines[0] == "event: job"
            events.append(json.loads(lines[1].removeprefix("data: ")))
    connection.close()
    assert events[-1]["state"] == "done"
    assert [e["state"] for e in events].count("done") == 1
    done_bytes = [e["progress"]["bytesDone"] for e in events]
    assert done_bytes == sorted(done_bytes), "progress went backwards"
    assert any(e["state"] == "running" and 0 < e["progress"]["bytesDone"] for e in events), \
        f"no event showed the job part way: {events}"
    assert events[-1]["progress"]["bytesDone"] == events[-1]["archive"]["size"]


def test_a_download_cut_halfway_resumes_with_range_to_the_same_file(demo, tmp_path):
    jobs = demo["jobs"]
    job = jobs.wait("north-admin", jobs.start("north-admin", scope="study", ids=[demo["big"]],
                                              previews=False)["id"])
    size, digest = job["archive"]["size"], job["archive"]["sha256"]
    etag = f'"{digest}"'
    half = size // 2
    first = jobs.archive("north-admin", job["id"], headers={"Range": f"bytes=0-{half - 1}"})
    assert first.status == 206
    assert first.header("Content-Range") == f"bytes 0-{half - 1}/{size}"
    rest = jobs.archive("north-admin", job["id"],
                        headers={"Range": f"bytes={half}-", "If-Range": etag})
    assert rest.status == 206 and rest.header("Content-Range") == f"bytes {half}-{size - 1}/{size}"
    assert sha256(first.body + rest.body) == digest
    suffix = jobs.archive("north-admin", job["id"], headers={"Range": "bytes=-100"})
    assert suffix.status == 206 and suffix.body == rest.body[-100:]

    stale = jobs.archive("north-admin", job["id"],
                         headers={"Range": f"bytes={half}-", "If-Range": '"another"'})
    assert stale.status == 200 and sha256(stale.body) == digest
    beyond = jobs.archive("north-admin", job["id"], headers={"Range": f"bytes={size}-"})
    assert beyond.status == 416 and beyond.header("Content-Range") == f"bytes */{size}"

    # curl -C - continues the partial file it finds.
    partial = tmp_path / "resumed.zip"
    partial.write_bytes(first.body[:12345])
    result = subprocess.run(
        ["curl", "-sSf", "-C", "-", "-o", str(partial),
         "-H", "Authorization: Bearer " + jobs.api.token("north-admin"),
         f"http://{jobs.api.host}:{jobs.api.port}/api/export/jobs/{job['id']}/archive"],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert sha256(partial.read_bytes()) == digest


def test_a_link_to_an_archive_serves_ranges_until_one_download_completes(demo):
    jobs = demo["jobs"]
    study = first_study(jobs, "north-user")["studyInstanceUID"]
    job = jobs.wait("north-user", jobs.start("north-user", scope="study", ids=[study])["id"])
    link = jobs.api.request("POST", f"/api/export/jobs/{job['id']}/link",
                            token=jobs.api.token("north-user"))
    assert link.status == 201, link.body
    url = link.json()["url"]
    size = job["archive"]["size"]
    head = jobs.api.get(url, headers={"Range": "bytes=0-99"})
    assert head.status == 206 and len(head.body) == 100
    tail = jobs.api.get(url, headers={"Range": "bytes=100-"})
    assert tail.status == 206 and sha256(head.body + tail.body) == job["archive"]["sha256"]
    assert len(head.body + tail.body) == size
    assert jobs.api.get(url).status == 404, "the link outlived its completed download"


def test_streamed_exports_ignore_range(demo):
    jobs = demo["jobs"]
    study = first_study(jobs, "north-user")["studyInstanceUID"]
    response = jobs.api.export("study", study, user="north-user", headers={"Range": "bytes=0-10"})
    assert response.status == 200
    assert response.header("Content-Range") is None and response.header("Accept-Ranges") is None
    assert len(entries(response.body)) > 2


def test_a_batch_of_studies_is_one_archive_laid_out_by_patient(demo):
    jobs = demo["jobs"]
    studies = jobs.api.list_all("/api/studies", "studies", "north-user")
    by_patient = {}
    for study in studies:
        by_patient.setdefault(study["patientID"], study["studyInstanceUID"])
    chosen = list(by_patient.values())[:3]
    assert len(chosen) == 3
    job = jobs.wait("north-user", jobs.start("north-user", scope="studies", ids=chosen)["id"])
    assert job["state"] == "done", job
    assert job["archiveName"].startswith("batch_export_") and job["archiveName"].endswith(".zip")
    files = entries(jobs.archive("north-user", job["id"]).body)
    document = json.loads(files["batch_data.json"])
    assert set(document) == {"patients", "studies", "instances", "metadata"}
    validate_document("all", document)
    assert [s["studyInstanceUID"] for s in document["studies"]] == chosen
    assert len(document["patients"]) == 3
    for study in document["studies"]:
        assert study["folder"].startswith("patients/") and "/studies/" in study["folder"]
    for instance in document["instances"]:
        assert instance["file"] in files
    lines = files["checksums.sha256"].decode().splitlines()
    assert len(lines) == len(files) - 1
    for line in lines:
        digest, name = line.split("  ", 1)
        assert sha256(files[name]) == digest, name


def test_a_batch_of_patients_holds_each_with_all_their_studies(demo):
    jobs = demo["jobs"]
    patients = jobs.api.list_all("/api/patients", "patients", "north-admin")[:2]
    ids = [p["patientID"] for p in patients]
    job = jobs.wait("north-admin", jobs.start("north-admin", scope="patients", ids=ids)["id"])
    document = json.loads(entries(jobs.archive("north-admin", job["id"]).body)["batch_data.json"])
    assert [p["patientID"] for p in document["patients"]] == ids
    assert len(document["studies"]) == sum(p["studyCount"] for p in patients)
    assert document["metadata"]["exportType"] == "patients"


@pytest.mark.parametrize("body, status", [
    ({"scope": "everything"}, 400),
    ({"scope": "study"}, 400),
    ({"scope": "all", "ids": ["x"]}, 400),
    ({"scope": "studies", "ids": []}, 400),
    ({"scope": "study", "ids": ["1.2.3"], "compression": 10}, 400),
    ({"scope": "study", "ids": ["1.2.3"], "previews": "yes"}, 400),
    ({"scope": "study", "ids": ["1.2.3"], "colour": "blue"}, 400),
    ({"scope": "study", "ids": ["not a uid"]}, 400),
    ({"scope": "all"}, 403),
    ({"scope": "study", "ids": ["1.2.3.4.5.6.7"]}, 404),
])
def test_bad_job_requests_are_refused_like_the_export_routes(demo, body, status):
    response = demo["jobs"].submit("north-user", **body)
    assert response.status == status, response.body


def test_jobs_are_scoped_to_their_user_and_hospital(demo):
    jobs = demo["jobs"]
    def uids(user):
        return {s["studyInstanceUID"] for s in jobs.api.list_all("/api/studies", "studies", user)}
    river_study = sorted(uids("river-user") - uids("north-user"))[0]
    assert jobs.submit("north-user", scope="study", ids=[river_study]).status == 404
    job = jobs.start("north-user", scope="study", ids=[first_study(jobs, "north-user")
                                                       ["studyInstanceUID"]])
    assert jobs.api.get(f"/api/export/jobs/{job['id']}", user="river-admin").status == 404
    assert jobs.archive("river-admin", job["id"]).status == 404
    assert jobs.api.get("/api/export/jobs/nosuchjob", user="north-user").status == 404
    mine = jobs.api.get_json("/api/export/jobs", "north-user", {"limit": 1000})
    assert mine["jobs"] and {j["username"] for j in mine["jobs"]} == {"north-user"}
    assert mine["jobs"][0]["id"] == job["id"], "not newest first"
    hospital = jobs.api.get_json("/api/export/jobs", "north-admin", {"limit": 1000})
    assert {j["username"] for j in hospital["jobs"]} == {"north-user", "north-admin"}
    page = jobs.api.get_json("/api/export/jobs", "north-admin", {"limit": 1, "offset": 1})
    assert len(page["jobs"]) == 1 and page["total"] == hospital["total"]


def test_a_user_over_their_running_limit_queues_instead_of_failing(demo):
    jobs = demo["jobs"]
    started = [jobs.start("river-user", scope="study",
                          ids=[first_study(jobs, "river-user")["studyInstanceUID"]])
               for _ in range(3)]
    started += [jobs.start("river-admin", scope="all", includeImages=True) for _ in range(2)]
    finished = [jobs.wait(j["username"], j["id"]) for j in started]
    assert all(j["state"] == "done" for j in finished), finished
    for user in ("river-user", "river-admin"):
        spans = sorted((j["startedAt"], j["finishedAt"]) for j in finished if j["username"] == user)
        for (_, end), (begin, _) in zip(spans, spans[1:]):
            assert end <= begin, f"two jobs of {user} ran at once: {spans}"


def job_files(data, job_id):
    directory = os.path.join(data, "jobs")
    return sorted(name for name in os.listdir(directory) if name.startswith(job_id))


def test_cancel_stops_a_running_job_and_delete_removes_a_finished_archive(demo):
    jobs = demo["jobs"]
    job = jobs.start("north-admin", scope="study", ids=[demo["big"]], previews=True,
                     compression=9)
    jobs.wait("north-admin", job["id"], states={"running"})
    response = jobs.api.request("DELETE", f"/api/export/jobs/{job['id']}",
                                token=jobs.api.token("north-admin"))
    assert response.status == 200 and response.json()["state"] == "cancelled"
    deadline = time.monotonic() + 30
    while job_files(demo["data"], job["id"]):
        assert time.monotonic() < deadline, job_files(demo["data"], job["id"])
        time.sleep(0.1)
    assert jobs.get("north-admin", job["id"])["state"] == "cancelled"
    assert jobs.archive("north-admin", job["id"]).status == 404

    study = first_study(jobs, "north-admin")["studyInstanceUID"]
    done = jobs.wait("north-admin", jobs.start("north-admin", scope="study", ids=[study])["id"])
    assert job_files(demo["data"], done["id"]) == [done["id"] + ".zip"]
    deleted = jobs.api.request("DELETE", f"/api/export/jobs/{done['id']}",
                               token=jobs.api.token("north-admin")).json()
    assert deleted["state"] == "done" and deleted["archive"] is None
    assert job_files(demo["data"], done["id"]) == []
    assert jobs.archive("north-admin", done["id"]).status == 404


def test_jobs_and_their_downloads_are_audited(demo):
    jobs = demo["jobs"]
    records = jobs.api.get_json("/api/audit", "north-admin", {"limit": 1000})["records"]
    endpoints = {r["endpoint"] for r in records}
    assert {"POST /api/export/jobs", "JOB /api/export/jobs/:id",
            "GET /api/export/jobs/:id/archive", "DELETE /api/export/jobs/:id"} <= endpoints
    ranged = [r for r in records if r["endpoint"] == "GET /api/export/jobs/:id/archive"
              and r["parameters"]["range"] is not None]
    assert ranged, "no ranged download was audited with its range"
    runs = [r for r in records if r["endpoint"] == "JOB /api/export/jobs/:id"]
    assert any(r["outcome"] == "aborted" for r in runs), "the cancelled run was not audited"
    assert any(r["outcome"] == "success" and r["bytesSent"] > 0 for r in runs)
    # A run lists the studies it exported and hashes the archive it wrote; a whole
    # download of that archive names the same hash.
    done = [r for r in runs if r["outcome"] == "success" and r["contentSha256"]]
    assert done and all(r["studyCount"] >= 1 and r["seal"] for r in done)
    whole = [r for r in records if r["endpoint"] == "GET /api/export/jobs/:id/archive"
             and r["outcome"] == "success" and r["contentSha256"]]
    assert whole and {r["contentSha256"] for r in whole} <= {r["contentSha256"] for r in done}
    assert all(r["scope"] and "(job " in r["targetLabel"] for r in whole)
    refused = [r for r in records if r["endpoint"] == "POST /api/export/jobs"
               and r["outcome"] == "denied"]
    assert refused, "a refused submission was not audited"


# Servers of their own: a kill -9, a quota, a full disk, a short retention.

def private_server(tmp_path, env=None, instances=40, before_start=None):
    data = str(tmp_path / "data")
    assert run_cli("hospital", "add", "--data", data, "H").returncode == 0
    assert run_cli("user", "add", "--data", data, "--hospital", "H", "--role", "admin", "admin",
                   stdin="admin-pass\n").returncode == 0
    assert run_cli("import", "--data", data, "--hospital", "H", CT_SMALL).returncode == 0
    big = import_big_study(data, tmp_path, "H", instances)
    if before_start:
        before_start(data)
    process, base = start(data, tmp_path / "log", "--demo", env=env)
    return data, big, process, base


def login_admin(jobs):
    response = jobs.api.login("admin", "admin-pass")
    assert response.status == 200
    jobs.api.tokens["admin"] = response.json()["token"]


def test_a_server_killed_mid_job_runs_it_again_after_restart_to_one_archive(tmp_path):
    lease = {"PACSPORT_JOB_LEASE_SECONDS": "2"}  # the dead process's job is free after 2 s
    data, big, process, base = private_server(tmp_path, env=lease)
    jobs = Jobs(base)
    login_admin(jobs)
    job = jobs.start("admin", scope="study", ids=[big], previews=True)
    deadline = time.monotonic() + 60
    while not any(n.endswith(".partial") for n in job_files(data, job["id"])):
        assert time.monotonic() < deadline and jobs.get("admin", job["id"])["state"] != "done"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    with index_db.connect(data) as db:
        assert db.execute("SELECT state FROM export_jobs WHERE id = ?",
                          (job["id"],)).fetchone()[0] == "running"

    process, base = start(data, tmp_path / "log2", "--demo", env=lease)
    try:
        jobs = Jobs(base)
        login_admin(jobs)
        done = jobs.wait("admin", job["id"])
        assert done["state"] == "done", done
        assert job_files(data, job["id"]) == [job["id"] + ".zip"]
        archive = jobs.archive("admin", job["id"]).body
        assert sha256(archive) == done["archive"]["sha256"]
        assert sum(name.endswith(".dcm") for name in entries(archive)) == 40
        # The dead process's run is failed once its heartbeat is a lease old.
        deadline = time.monotonic() + 10
        while True:
            runs = [r for r in jobs.api.get_json("/api/audit", "admin", {"limit": 1000})["records"]
                    if r["endpoint"] == "JOB /api/export/jobs/:id"]
            if sorted(r["outcome"] for r in runs) == ["failed", "success"] or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert sorted(r["outcome"] for r in runs) == ["failed", "success"]
    finally:
        stop(process)


def test_an_archive_over_the_disk_quota_fails_the_job_and_leaves_no_file(tmp_path):
    data, big, process, base = private_server(tmp_path, {"PACSPORT_JOB_DISK_QUOTA_MB": "1"})
    try:
        jobs = Jobs(base)
        login_admin(jobs)
        job = jobs.wait("admin", jobs.start("admin", scope="study", ids=[big],
                                            compression=0, previews=False)["id"])
        assert job["state"] == "failed" and "disk space" in job["error"], job
        assert job_files(data, job["id"]) == []
        small = jobs.api.get_json("/api/studies", "admin")["studies"]
        small_uid = next(s["studyInstanceUID"] for s in small if s["studyInstanceUID"] != big)
        ok = jobs.wait("admin", jobs.start("admin", scope="study", ids=[small_uid])["id"])
        assert ok["state"] == "done", "a job within the quota failed"
    finally:
        stop(process)


def test_a_full_disk_fails_the_job_with_a_clear_error_and_no_file(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")

    def mount_small_disk(data):
        os.makedirs(os.path.join(data, "jobs"))
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs",
                        os.path.join(data, "jobs")], check=True)

    data, big, process, base = private_server(tmp_path, before_start=mount_small_disk)
    try:
        jobs = Jobs(base)
        login_admin(jobs)
        job = jobs.wait("admin", jobs.start("admin", scope="study", ids=[big], compression=0,
                                            previews=False)["id"])
        assert job["state"] == "failed" and "disk" in job["error"] and "full" in job["error"], job
        assert job_files(data, job["id"]) == []
        assert os.listdir(os.path.join(data, "jobs")) == []
    finally:
        stop(process)
        subprocess.run(["umount", os.path.join(data, "jobs")], check=False)


def test_finished_archives_expire_after_the_retention(tmp_path):
    data, big, process, base = private_server(tmp_path, {"PACSPORT_JOB_RETENTION_SECONDS": "2"},
                                              instances=2)
    try:
        jobs = Jobs(base)
        login_admin(jobs)
        job = jobs.wait("admin", jobs.start("admin", scope="study", ids=[big])["id"])
        assert job["state"] == "done" and job["archive"] is not None
        deadline = time.monotonic() + 15
        while jobs.get("admin", job["id"])["archive"] is not None:
            assert time.monotonic() < deadline, "the archive outlived its retention"
            time.sleep(0.2)
        assert job_files(data, job["id"]) == []
        assert jobs.archive("admin", job["id"]).status == 404
    finally:
        stop(process)
