"""The destinations API (issue 16) as the delivery tests use it: create a destination as
the admin, run its test action, start a job delivered to it and wait for its end."""

import json

from test_export_jobs import FINAL

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
