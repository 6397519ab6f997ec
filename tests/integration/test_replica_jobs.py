"""Two `pacsport serve` replicas on one data directory and one index (decision 0024):
a replica killed with SIGKILL mid-job loses the job once its lease expires, the other
takes it over and completes it exactly once (one success audit record, the dead run
failed as interrupted, one whole archive), and the events stream opened on the other
replica shows it; a cancel on one replica stops the job running on the other; and the
Orthanc sync runs on one replica at a time, moving to the other when it is killed.

Leases are 2 s here (PACSPORT_JOB_LEASE_SECONDS), renewed every 0.67 s. A replica
claims a job only when it is alone to be able to (the other is started after the claim),
so which one runs it is known without reading the index."""

import http.client
import json
import os
import re
import signal
import threading
import time

import pytest

from api_client import Api
from archive_checks import ZipUnderTest
from orthanc_process import Orthanc
from server_process import run_cli
from test_export_jobs import Jobs, import_big_study, job_files, login_admin
from test_orthanc_source import generate_study
from test_serve_config import CT_SMALL, start, stop

LEASE_SECONDS = 2
REPLICA_ENV = {"PACSPORT_JOB_LEASE_SECONDS": str(LEASE_SECONDS)}
RUN = "JOB /api/export/jobs/:id"


def wait_for(probe, what, timeout=60, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"after {timeout} s, still no {what}"
        time.sleep(interval)


class Replica:
    """One `pacsport serve` on the shared data directory."""

    def __init__(self, data, log, *args):
        self.log = log
        self.process, self.base = start(data, log, "--demo", *args, env=REPLICA_ENV)
        self.jobs = Jobs(self.base)
        login_admin(self.jobs)

    @property
    def pid(self):
        return self.process.pid

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process.poll() is None:
            stop(self.process)


class EventStream(threading.Thread):
    """The job events of `job_id` read from `replica` until the stream ends."""

    def __init__(self, replica, job_id):
        super().__init__(daemon=True)
        self.events = []
        api = replica.jobs.api
        self.connection = http.client.HTTPConnection(api.host, api.port, timeout=120)
        self.connection.request("GET", f"/api/export/jobs/{job_id}/events",
                                headers={"Authorization": "Bearer " + api.token("admin")})
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        self.start()

    def run(self):
        block = b""
        while line := self.response.readline():
            if line != b"\n":
                block += line
                continue
            lines = [x for x in block.decode().splitlines() if not x.startswith(":")]
            if lines:
                self.events.append(json.loads(lines[1].removeprefix("data: ")))
            block = b""
        self.connection.close()


def runs_of(jobs, job_id):
    records = jobs.api.get_json("/api/audit", "admin", {"limit": 1000})["records"]
    return [r for r in records if r["endpoint"] == RUN and r["parameters"].get("job") == job_id]


def start_on(replica, data, big):
    """A job of the big study, claimed by `replica` (running, its partial file written)."""
    job = replica.jobs.start("admin", scope="study", ids=[big], previews=True, compression=9)
    wait_for(lambda: any(n.endswith(".partial") for n in job_files(data, job["id"])),
             "partial archive")
    assert replica.jobs.get("admin", job["id"])["state"] == "running"
    return job


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """A data directory with hospital H, its admin and a study whose export with
    previews takes seconds."""
    tmp = tmp_path_factory.mktemp("replicas")
    data = str(tmp / "data")
    assert run_cli("hospital", "add", "--data", data, "H").returncode == 0
    assert run_cli("user", "add", "--data", data, "--hospital", "H", "--role", "admin", "admin",
                   stdin="admin-pass\n").returncode == 0
    assert run_cli("import", "--data", data, "--hospital", "H", CT_SMALL).returncode == 0
    return {"data": data, "tmp": tmp, "big": import_big_study(data, tmp, "H", 40, frames=40)}


def test_a_cancel_on_one_replica_stops_the_job_running_on_the_other(shared):
    data, tmp = shared["data"], shared["tmp"]
    a = Replica(data, tmp / "cancel-a.log")
    b = None
    try:
        job = start_on(a, data, shared["big"])
        b = Replica(data, tmp / "cancel-b.log")
        response = b.jobs.api.request("DELETE", f"/api/export/jobs/{job['id']}",
                                      token=b.jobs.api.token("admin"))
        assert response.status == 200 and response.json()["state"] == "cancelled"
        # A notices at its next progress record (500 ms) and removes its partial file.
        wait_for(lambda: not job_files(data, job["id"]), "removal of the partial archive", 10)
        run = wait_for(lambda: [r for r in runs_of(b.jobs, job["id"])
                                if r["outcome"] != "in_progress"], "end of the run", 10)
        assert [r["outcome"] for r in run] == ["aborted"], run
        assert a.jobs.get("admin", job["id"])["state"] == "cancelled"
        assert a.process.poll() is None
    finally:
        a.stop()
        if b:
            b.stop()


def test_a_job_of_a_replica_killed_mid_job_is_taken_over_and_done_once(shared):
    data, tmp = shared["data"], shared["tmp"]
    a = Replica(data, tmp / "kill-a.log")
    b = None
    try:
        job = start_on(a, data, shared["big"])
        b = Replica(data, tmp / "kill-b.log")
        events = EventStream(b, job["id"])
        a.kill()

        done = b.jobs.wait("admin", job["id"], timeout=120)
        assert done["state"] == "done", done
        events.join(timeout=30)
        states = [e["state"] for e in events.events]
        assert states[-1] == "done" and states.count("done") == 1, states
        assert any(e["state"] == "running" and e["progress"]["bytesDone"] > 0
                   for e in events.events), f"B's stream showed no progress: {events.events}"

        assert job_files(data, job["id"]) == [job["id"] + ".zip"]
        archive = b.jobs.archive("admin", job["id"]).body
        assert len(archive) == done["archive"]["size"]
        checked = ZipUnderTest(archive, str(tmp / "taken-over"))
        checked.check_manifest()
        assert sum(name.endswith(".dcm") for name in checked.names) == 40

        # One success; A's run failed as interrupted once its heartbeat was a lease old.
        runs = wait_for(lambda: (r := runs_of(b.jobs, job["id"])) and
                        all(x["outcome"] != "in_progress" for x in r) and r,
                        "A's run failed as interrupted", 10)
        assert sorted((r["outcome"], r["detail"]) for r in runs)[0] == ("failed", "interrupted")
        assert [r["outcome"] for r in runs].count("success") == 1, runs
        assert len(runs) == 2, runs
        assert f":{a.pid}:" in open(b.log, errors="replace").read().split(
            "event=job_taken_over")[1].splitlines()[0], "B's log names no takeover from A"
    finally:
        if b:
            b.stop()


# --- Orthanc sync ----------------------------------------------------------------------------

def source_status(replica):
    document = Api(replica.base).get_json("/api/health", None)
    return [s for s in document["sources"] if s["name"] == "pacs"][0]


def holder_pid(status):
    match = re.fullmatch(r".+:(\d+):[0-9a-f]{8}", status["syncedBy"])
    return int(match.group(1)) if match else None


def test_one_replica_syncs_an_orthanc_source_and_the_other_takes_over_when_it_dies(
        shared, tmp_path):
    data = shared["data"]
    with Orthanc.running(tmp_path / "orthanc") as orthanc:
        config = tmp_path / "sources.toml"
        config.write_text("\n".join([
            "[[sources]]", 'name = "pacs"', 'kind = "orthanc"', f'url = "{orthanc.url}"',
            'hospital = "H"', "poll_interval_seconds = 1", "reconcile_interval_seconds = 600",
            ""]))
        replicas = [Replica(data, tmp_path / f"sync-{n}.log", "--config", str(config))
                    for n in (1, 2)]
        try:
            by_pid = {r.pid: r for r in replicas}
            syncing = by_pid[wait_for(lambda: holder_pid(source_status(replicas[0])),
                                      "replica syncing the source", 20)]
            other = next(r for r in replicas if r is not syncing)
            assert holder_pid(source_status(other)) == syncing.pid
            assert source_status(other)["reachable"] is True
            taken = [r for r in replicas if "event=source_sync_lease_taken" in
                     open(r.log, errors="replace").read()]
            assert taken == [syncing], "both replicas synced the source"

            syncing.kill()
            (tmp_path / "study").mkdir()
            uid, paths = generate_study(tmp_path / "study", "REPLICA-1", 1)
            assert len(orthanc.upload_files(paths)) == 1
            wait_for(lambda: holder_pid(source_status(other)) == other.pid,
                     "takeover of the sync", 20)
            wait_for(lambda: any(s["studyInstanceUID"] == uid for s in other.jobs.api.list_all(
                "/api/studies", "studies", "admin")), "the new study indexed by the survivor", 20)
        finally:
            for replica in replicas:
                if replica.process.poll() is None:
                    replica.stop()
