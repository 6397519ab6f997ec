"""The destinations API (issue 16) as the delivery tests use it: create a destination as
the admin, run its test action, start a job delivered to it and wait for its end."""

import contextlib
import json

from server_process import run_cli
from test_export_jobs import FINAL, Jobs, import_big_study, login_admin
from test_serve_config import CT_SMALL, start, stop

DELIVERY_FINAL = FINAL | {"delivered"}


def create_destination(api, kind, name, settings, secrets):
    response = api.request("POST", "/api/destinations", token=api.token("admin"),
                           body=json.dumps({"name": name, "kind": kind, "settings": settings,
                                            "secrets": secrets}),
                           content_type="application/json")
    assert response.status == 201, (response.status, response.body)
    return response.json()


def run_test_action(api, destination_id):
    response = api.request("POST", f"/api/destinations/{destination_id}/test", token=api.token("admin"))
    assert response.status == 200, (response.status, response.body)
    return response.json()


def deliver(pacsport, destination_id, study, timeout=120):
    """Exports `study` as the admin to the destination; the job in its final state."""
    jobs = pacsport["jobs"]
    job = jobs.start("admin", scope="study", ids=[study], previews=False, destination=destination_id)
    assert job["destination"] == destination_id
    return jobs.wait("admin", job["id"], DELIVERY_FINAL, timeout)


@contextlib.contextmanager
def delivery_server(tmp):
    """A server of one hospital "H" whose admin is "admin", with one small study and one
    big one (about 13 MB: several parts or blocks), as
    {"jobs", "api", "big", "small", "log"}."""
    data = str(tmp / "data")
    assert run_cli("hospital", "add", "--data", data, "H").returncode == 0
    assert run_cli("user", "add", "--data", data, "--hospital", "H", "--role", "admin", "admin",
                   stdin="admin-pass\n").returncode == 0
    assert run_cli("import", "--data", data, "--hospital", "H", CT_SMALL).returncode == 0
    big = import_big_study(data, tmp, "H", instances=40, frames=10)
    log = tmp / "server.log"
    process, base = start(data, log, "--demo")
    try:
        jobs = Jobs(base)
        login_admin(jobs)
        studies = jobs.api.get_json("/api/studies", "admin", {"limit": 10})["studies"]
        small = next(s["studyInstanceUID"] for s in studies if s["studyInstanceUID"] != big)
        yield {"jobs": jobs, "api": jobs.api, "big": big, "small": small, "log": log}
    finally:
        stop(process)
