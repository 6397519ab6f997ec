"""Delivery destinations over real HTTP (issue 16): admins of a hospital manage them,
every user of that hospital sees them (the export dialog offers them) and nobody else
does; settings are checked when saved; secrets are write-only, merged on update,
sealed in the index (no plaintext in the database file or the log) and never shown;
a job naming a destination ends failed with a clear error, audited, when the
destination cannot be reached, and leaves no archive behind. These use the s3 kind's
settings against a closed port: no object store is needed to refuse or fail."""

import json
import socket

import pytest

import index_db
from test_export_jobs import Jobs

SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def s3_body(name, port=None, **settings):
    return {"name": name, "kind": "s3",
            "settings": {"endpoint": f"http://127.0.0.1:{port or closed_port()}",
                         "region": "us-east-1", "bucket": "exports", "accessKeyId": "AKIDEXAMPLE",
                         **settings},
            "secrets": {"secretAccessKey": SECRET}}


def call(api, method, path, user, body=None):
    return api.request(method, path, token=api.token(user),
                       body=None if body is None else json.dumps(body),
                       content_type=None if body is None else "application/json")


@pytest.fixture(scope="module")
def destination(api):
    response = call(api, "POST", "/api/destinations", "north-admin", s3_body("Nightly bucket"))
    assert response.status == 201, response.body
    return response.json()


def test_an_admin_creates_a_destination_whose_secrets_are_never_shown(api, destination):
    assert destination["kind"] == "s3" and destination["name"] == "Nightly bucket"
    assert destination["secrets"] == ["secretAccessKey"]
    assert destination["settings"]["bucket"] == "exports"
    assert destination["createdBy"] == "north-admin"
    listed = call(api, "GET", "/api/destinations", "north-user", None).json()["items"]
    assert destination["id"] in [d["id"] for d in listed]
    for response in (call(api, "GET", f"/api/destinations/{destination['id']}", "north-user"),
                     call(api, "GET", "/api/destinations", "north-admin")):
        assert response.status == 200 and SECRET.encode() not in response.body


def test_secrets_are_sealed_in_the_index_and_absent_from_the_log(server, data_dir, destination):
    assert SECRET.encode() not in index_db.stored_bytes(data_dir)
    with index_db.connect(data_dir, read_only=True) as db:
        (sealed,) = db.execute("SELECT secrets FROM destinations WHERE id = ?",
                               (destination["id"],)).fetchone()
    assert sealed.startswith("sb1:") and SECRET not in sealed
    assert SECRET not in server.log()


def test_only_admins_change_destinations_and_other_hospitals_see_none(api, destination):
    path = f"/api/destinations/{destination['id']}"
    assert call(api, "POST", "/api/destinations", "north-user", s3_body("Mine")).status == 403
    assert call(api, "PUT", path, "north-user", {"name": "Renamed"}).status == 403
    assert call(api, "DELETE", path, "north-user").status == 403
    assert call(api, "POST", path + "/test", "north-user").status == 403
    for method in ("GET", "DELETE"):
        assert call(api, method, path, "river-admin").status == 404
    assert call(api, "PUT", path, "river-admin", {"name": "Taken"}).status == 404
    listed = call(api, "GET", "/api/destinations", "river-admin").json()["items"]
    assert destination["id"] not in [d["id"] for d in listed]


@pytest.mark.parametrize("body, named", [
    ({"name": "", "kind": "s3", "settings": {}}, "name"),
    ({"name": "x", "kind": "ftp", "settings": {}}, "kind"),
    ({**s3_body("y"), "extra": 1}, "extra"),
    (s3_body("z", bucket=None), "settings.bucket"),
    (s3_body("w", colour="blue"), "settings.colour"),
    ({**s3_body("v"), "secrets": {}}, "secrets.secretAccessKey"),
    ({**s3_body("u"), "secrets": {"secretAccessKey": 7}}, "secrets.secretAccessKey"),
])
def test_bad_destinations_are_refused_naming_the_field(api, body, named):
    response = call(api, "POST", "/api/destinations", "north-admin", body)
    assert response.status == 400, response.body
    assert named in response.json()["error"]["message"]


def test_a_second_destination_of_the_same_name_is_a_conflict(api, destination):
    response = call(api, "POST", "/api/destinations", "north-admin", s3_body("Nightly bucket"))
    assert response.status == 409


def test_an_update_keeps_secrets_not_given_and_refuses_a_bad_one(api):
    created = call(api, "POST", "/api/destinations", "north-admin", s3_body("Changing")).json()
    path = f"/api/destinations/{created['id']}"
    changed = call(api, "PUT", path, "north-admin",
                   {"name": "Changed", "settings": {**created["settings"], "prefix": "daily/"}})
    assert changed.status == 200, changed.body
    assert changed.json()["secrets"] == ["secretAccessKey"]
    assert changed.json()["settings"]["prefix"] == "daily/"
    removed = call(api, "PUT", path, "north-admin", {"secrets": {"secretAccessKey": None}})
    assert removed.status == 400 and "secretAccessKey" in removed.json()["error"]["message"]
    assert call(api, "GET", path, "north-admin").json()["name"] == "Changed"
    assert call(api, "DELETE", path, "north-admin").status == 204
    assert call(api, "GET", path, "north-admin").status == 404


def test_the_test_action_reports_an_unreachable_destination(api, destination):
    response = call(api, "POST", f"/api/destinations/{destination['id']}/test", "north-admin")
    assert response.status == 200
    outcome = response.json()
    assert outcome["ok"] is False and outcome["error"]["code"] == "unavailable"
    assert SECRET not in outcome["error"]["message"]


def test_a_job_for_another_hospitals_destination_is_refused(server, destination):
    jobs = Jobs(server.base_url)
    response = jobs.submit("river-admin", scope="all", includeImages=False,
                           destination=destination["id"])
    assert response.status == 404
    response = jobs.submit("north-admin", scope="all", includeImages=False, destination="one")
    assert response.status == 400 and "destination" in response.json()["error"]["message"]


def test_a_job_whose_destination_is_down_fails_clearly_and_keeps_no_archive(
        server, api, destination):
    jobs = Jobs(server.base_url)
    job = jobs.start("north-admin", scope="all", includeImages=False,
                     destination=destination["id"])
    assert job["destination"] == destination["id"] and job["deliveredTo"] is None
    ended = jobs.wait("north-admin", job["id"], timeout=180)
    assert ended["state"] == "failed", ended
    assert ended["error"].startswith("delivery failed:") and "exports" in ended["error"]
    assert ended["archive"] is None
    assert jobs.api.get(f"/api/export/jobs/{job['id']}/archive", "north-admin").status == 404
    audit = api.get_json("/api/audit", "north-admin", params={"limit": 50})["records"]
    delivery = [r for r in audit if r["endpoint"] == "DELIVER /api/export/jobs/:id"
                and r["target"] == job["id"]]
    assert len(delivery) == 1 and delivery[0]["outcome"] == "failed", delivery
    assert "Nightly bucket" in delivery[0]["targetLabel"]
