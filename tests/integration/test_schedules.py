"""Scheduled exports over real HTTP (issue 16): create, list, change and delete with
their validation errors; run now; a schedule firing in the running server; a restart
across a scheduled time running it once at start; an incremental run after an ingest
holding only the new study; runs under /runs; audit records as the owner.

Time is the server's test-only clock: PACSPORT_TEST_CLOCK_FILE names a file holding
the scheduler's "now", which each test moves. Each server here is the module's own."""

import io
import json
import os
import time
import zipfile

import pydicom
import pytest

import index_db
from api_client import Api
from server_process import run_cli
from test_serve_config import CT_SMALL, start, stop

MR_SMALL = "/usr/lib/python3/dist-packages/pydicom/data/test_files/MR_small.dcm"
FINAL = {"done", "delivered", "failed", "cancelled"}
SCHEDULE_ENDPOINT = "SCHEDULE /api/schedules/:id"
PASSWORDS = {"admin": "admin-pass", "admin2": "admin2-pass", "user": "user-pass",
             "other-admin": "other-admin-pass"}


class Site:
    """A private server with hospitals H (admin, admin2, user) and O (other-admin), the
    CT_small study in H, and a clock file the test moves."""

    def __init__(self, tmp_path, now="2030-01-01T01:00:00Z"):
        self.tmp = tmp_path
        self.data = str(tmp_path / "data")
        self.clock = tmp_path / "clock"
        self.set_time(now)
        for hospital in ("H", "O"):
            assert run_cli("hospital", "add", "--data", self.data, hospital).returncode == 0
        for name, hospital, role in (("admin", "H", "admin"), ("admin2", "H", "admin"),
                                     ("user", "H", "user"), ("other-admin", "O", "admin")):
            result = run_cli("user", "add", "--data", self.data, "--hospital", hospital, "--role",
                             role, name, stdin=PASSWORDS[name] + "\n")
            assert result.returncode == 0, result.stderr
        self.ingest(CT_SMALL)
        self.process = None
        self.starts = 0
        self.start()

    def ingest(self, path):
        result = run_cli("import", "--data", self.data, "--hospital", "H", path)
        assert result.returncode == 0, result.stdout + result.stderr

    def set_time(self, iso):
        self.clock.write_text(iso)

    def start(self):
        self.starts += 1
        self.log = self.tmp / f"log{self.starts}"
        self.process, base = start(self.data, self.log, "--demo",
                                   env={"PACSPORT_TEST_CLOCK_FILE": str(self.clock)})
        self.api = Api(base)
        for name, password in PASSWORDS.items():
            response = self.api.login(name, password)
            assert response.status == 200, response.body
            self.api.tokens[name] = response.json()["token"]

    def stop(self):
        stop(self.process)

    def call(self, method, path, user="admin", body=None):
        return self.api.request(method, path, token=self.api.tokens[user],
                                body=None if body is None else json.dumps(body),
                                content_type=None if body is None else "application/json")

    def create(self, user="admin", **body):
        response = self.call("POST", "/api/schedules", user, body)
        assert response.status == 201, (response.status, response.body)
        return response.json()

    def schedule(self, schedule_id):
        return self.api.get_json(f"/api/schedules/{schedule_id}", "admin")

    def runs(self, schedule_id, **params):
        return self.api.get_json(f"/api/schedules/{schedule_id}/runs", "admin", params)["items"]

    def run_now(self, schedule_id, user="admin"):
        response = self.call("POST", f"/api/schedules/{schedule_id}/run", user)
        assert response.status == 202, (response.status, response.body)
        return response.json()

    def wait_job(self, job_id, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            job = self.api.get_json(f"/api/export/jobs/{job_id}", "admin")
            if job["state"] in FINAL:
                return job
            assert time.monotonic() < deadline, job
            time.sleep(0.05)

    def wait_runs(self, schedule_id, count, timeout=20):
        deadline = time.monotonic() + timeout
        while len(self.runs(schedule_id)) < count:
            assert time.monotonic() < deadline, self.runs(schedule_id)
            time.sleep(0.1)
        return self.runs(schedule_id)

    def archive(self, job_id):
        response = self.api.get(f"/api/export/jobs/{job_id}/archive", user="admin")
        assert response.status == 200, response.status
        with zipfile.ZipFile(io.BytesIO(response.body)) as z:
            assert z.testzip() is None
            return z.namelist()

    def audit(self):
        return self.api.get_json("/api/audit", "admin", {"limit": 1000})["records"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    s = Site(tmp_path_factory.mktemp("schedules"))
    yield s
    s.stop()


@pytest.fixture
def own_site(tmp_path):
    s = Site(tmp_path)
    yield s
    s.stop()


def study_uid(path):
    return str(pydicom.dcmread(path, stop_before_pixels=True).StudyInstanceUID)


NIGHTLY = {"name": "nightly", "cron": "0 2 * * *", "timeZone": "Europe/Berlin", "scope": "all",
           "options": {"includeImages": True, "previews": False, "format": "zip",
                       "compression": 1}}


def test_create_list_change_and_delete(site):
    created = site.create(**NIGHTLY)
    assert created["name"] == "nightly" and created["owner"] == "admin"
    assert created["cron"] == "0 2 * * *" and created["timeZone"] == "Europe/Berlin"
    assert created["scope"] == "all" and created["ids"] == []
    assert created["options"] == {"includeImages": True, "previews": False, "format": "zip",
                                  "compression": 1}
    assert created["destination"] is None and created["incremental"] is False
    assert created["enabled"] is True
    # 02:00 in Berlin (CET, UTC+1) after 01:00Z on 1 January is 01:00Z on the 2nd.
    assert created["nextRunAt"] == "2030-01-02T01:00:00.000Z"
    assert created["lastRunAt"] is None and created["lastJob"] is None
    assert created["lastSuccessAt"] is None
    listed = site.api.get_json("/api/schedules", "admin")["items"]
    assert created in listed

    response = site.call("PUT", f"/api/schedules/{created['id']}", "admin2",
                         {"name": "renamed", "timeZone": "America/New_York"})
    assert response.status == 200, response.body
    changed = response.json()
    assert changed["name"] == "renamed" and changed["owner"] == "admin2"
    assert changed["cron"] == "0 2 * * *" and changed["options"] == created["options"]
    assert changed["nextRunAt"] == "2030-01-01T07:00:00.000Z"  # 02:00 EST
    disabled = site.call("PUT", f"/api/schedules/{created['id']}", "admin",
                         {"enabled": False}).json()
    assert disabled["enabled"] is False and disabled["nextRunAt"] is None

    assert site.call("DELETE", f"/api/schedules/{created['id']}").status == 204
    assert site.call("GET", f"/api/schedules/{created['id']}").status == 404
    assert site.call("DELETE", f"/api/schedules/{created['id']}").status == 404


@pytest.mark.parametrize("change, status, names", [
    ({"cron": "0 2 * *"}, 400, "cron"),
    ({"cron": "61 2 * * *"}, 400, "minute"),
    ({"cron": "0 0 30 2 *"}, 400, "never fires"),
    ({"timeZone": "Mars/Olympus"}, 400, "timeZone"),
    ({"timeZone": "../../etc/passwd"}, 400, "timeZone"),
    ({"scope": "study", "ids": ["1.2.3"]}, 400, "scope"),
    ({"ids": ["1.2.3"]}, 400, "ids"),
    ({"scope": "studies"}, 400, "ids"),
    ({"options": {"compression": 12}}, 400, "compression"),
    ({"options": {"colour": True}}, 400, "colour"),
    ({"incremental": True, "scope": "patients", "ids": ["X"]}, 400, "incremental"),
    ({"incremental": "yes"}, 400, "incremental"),
    ({"destination": 999}, 404, "destination"),
    ({"destination": "s3"}, 400, "destination"),
    ({"name": ""}, 400, "name"),
    ({"frequency": "daily"}, 400, "frequency"),
])
def test_invalid_schedules_are_refused_naming_the_field(site, change, status, names):
    body = {**NIGHTLY, **change}
    response = site.call("POST", "/api/schedules", "admin", body)
    assert response.status == status, (response.status, response.body)
    assert names in response.json()["error"]["message"], response.body


def test_schedules_are_for_their_hospitals_admins(site):
    created = site.create(**NIGHTLY)
    path = f"/api/schedules/{created['id']}"
    assert site.call("GET", "/api/schedules", "user").status == 403
    assert site.call("POST", "/api/schedules", "user", NIGHTLY).status == 403
    assert site.call("GET", path, "other-admin").status == 404
    assert site.call("PUT", path, "other-admin", {"name": "x"}).status == 404
    assert site.call("POST", path + "/run", "other-admin").status == 404
    assert site.call("GET", path + "/runs", "other-admin").status == 404
    assert site.call("DELETE", path, "other-admin").status == 404
    assert site.api.get_json("/api/schedules", "other-admin")["items"] == []
    assert site.call("DELETE", path).status == 204


def test_run_now_is_a_job_listed_under_runs_and_audited_as_the_owner(site):
    created = site.create(**{**NIGHTLY, "scope": "studies", "ids": [study_uid(CT_SMALL)]})
    job = site.run_now(created["id"], user="admin2")  # admin2 asks; admin owns it
    assert job["state"] in {"queued", "running", "done"} and job["username"] == "admin"
    done = site.wait_job(job["id"])
    assert done["state"] == "done", done
    names = site.archive(job["id"])
    assert any(study_uid(CT_SMALL) in n and n.endswith(".dcm") for n in names), names
    runs = site.runs(created["id"])
    assert [r["id"] for r in runs] == [job["id"]]
    assert runs[0]["state"] == "done" and runs[0]["scope"] == "studies"
    schedule = site.schedule(created["id"])
    assert schedule["lastJob"] == job["id"] and schedule["lastRunAt"] is not None
    assert schedule["lastSuccessAt"] == done["finishedAt"]
    records = [r for r in site.audit() if r["endpoint"] == SCHEDULE_ENDPOINT]
    assert records and all(r["username"] == "admin" for r in records)
    assert any(job["id"] in json.dumps(r) for r in records)
    runs_of_job = [r for r in site.audit()
                   if r["endpoint"] == "JOB /api/export/jobs/:id" and job["id"] in json.dumps(r)]
    assert runs_of_job and runs_of_job[0]["username"] == "admin"
    site.call("DELETE", f"/api/schedules/{created['id']}")


def test_a_run_whose_owner_lost_the_admin_role_fails_and_is_audited(site):
    created = site.create(user="admin2", **NIGHTLY)
    with index_db.connect(site.data) as db:
        db.execute("UPDATE users SET role = 'user' WHERE username = 'admin2'")
    try:
        job = site.run_now(created["id"], user="admin")
        assert job["state"] == "failed" and "admin2" in job["error"], job
        assert [r["id"] for r in site.runs(created["id"])] == [job["id"]]
        denied = [r for r in site.audit() if r["endpoint"] == SCHEDULE_ENDPOINT
                  and r["username"] == "admin2" and r["outcome"] == "denied"]
        assert denied, "the failed run was not audited"
    finally:
        with index_db.connect(site.data) as db:
            db.execute("UPDATE users SET role = 'admin' WHERE username = 'admin2'")
    site.call("DELETE", f"/api/schedules/{created['id']}")


def test_a_schedule_fires_in_the_running_server(own_site):
    created = own_site.create(**{**NIGHTLY, "cron": "30 3 * * *", "timeZone": "UTC"})
    assert created["nextRunAt"] == "2030-01-01T03:30:00.000Z"
    time.sleep(1.5)
    assert own_site.runs(created["id"]) == []  # not before its time
    own_site.set_time("2030-01-01T03:30:05Z")
    runs = own_site.wait_runs(created["id"], 1)
    assert own_site.wait_job(runs[0]["id"])["state"] == "done"
    schedule = own_site.schedule(created["id"])
    assert schedule["nextRunAt"] == "2030-01-02T03:30:00.000Z"
    assert schedule["lastRunAt"] == "2030-01-01T03:30:05.000Z"
    time.sleep(1.5)
    assert len(own_site.runs(created["id"])) == 1


def test_a_restart_across_scheduled_times_runs_once_at_start(own_site):
    created = own_site.create(**{**NIGHTLY, "timeZone": "UTC"})
    assert created["nextRunAt"] == "2030-01-01T02:00:00.000Z"
    own_site.stop()
    own_site.set_time("2030-01-04T10:00:00Z")  # three nightly slots missed
    own_site.start()
    runs = own_site.wait_runs(created["id"], 1)
    time.sleep(2)
    assert [r["id"] for r in own_site.runs(created["id"])] == [runs[0]["id"]]
    assert own_site.schedule(created["id"])["nextRunAt"] == "2030-01-05T02:00:00.000Z"
    with open(own_site.log, errors="replace") as f:
        assert f.read().count("event=schedule_fired") == 1


def test_an_incremental_run_after_an_ingest_holds_only_the_new_study(own_site):
    created = own_site.create(**{**NIGHTLY, "name": "backup", "incremental": True})
    full = own_site.wait_job(own_site.run_now(created["id"])["id"])
    assert full["state"] == "done", full
    first = own_site.archive(full["id"])
    assert any(study_uid(CT_SMALL) in n for n in first), first

    own_site.ingest(MR_SMALL)
    second = own_site.wait_job(own_site.run_now(created["id"])["id"])
    assert second["state"] == "done", second
    names = own_site.archive(second["id"])
    dicom = [n for n in names if n.endswith(".dcm")]
    assert dicom and all(study_uid(MR_SMALL) in n for n in dicom), names
    assert not any(study_uid(CT_SMALL) in n for n in names), names

    # Nothing new: the run still completes, with an archive of no study.
    empty = own_site.wait_job(own_site.run_now(created["id"])["id"])
    assert empty["state"] == "done", empty
    assert not [n for n in own_site.archive(empty["id"]) if n.endswith(".dcm")]
    assert [r["id"] for r in own_site.runs(created["id"])] == [empty["id"], second["id"],
                                                               full["id"]]
    assert [r["id"] for r in own_site.runs(created["id"], limit=1, offset=1)] == [second["id"]]
