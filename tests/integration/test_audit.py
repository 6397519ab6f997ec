"""The audit trail: every export attempt the earlier modules made through
api_client.Api.export (successes, refusals, cut downloads) has its record, seen by the
hospital's admin only, and by `pacsport audit`."""

import collections
import json
import re

import pytest

from api_client import hospital_of
from corpus import NORTH, RIVER
from server_process import run_cli

ADMINS = {NORTH: "north-admin", RIVER: "river-admin"}
ISO_MILLIS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
RECORD_KEYS = {"id", "startedAt", "username", "role", "hospital", "clientAddress", "requestId", "endpoint",
               "scope", "target", "targetLabel", "parameters", "outcome", "detail", "bytesSent", "entries",
               "instances", "studyCount", "contentSha256", "durationMs", "seal"}
OUTCOMES = ("success", "denied", "failed", "aborted", "over_capacity")


def expected_outcome(attempt):
    if attempt.status == 200:
        return "success" if attempt.complete else "failed"
    if attempt.status in (429, 503) and "already" in attempt.refusal:
        return "over_capacity"  # no export slot was free (export_capacity.cpp)
    return "denied" if attempt.status < 500 else "failed"


def key_of_attempt(attempt):
    outcome = expected_outcome(attempt)
    return (attempt.username, attempt.endpoint, attempt.target, outcome,
            attempt.bytes if outcome == "success" else None)


def key_of_record(record):
    return (record["username"], record["endpoint"], record["target"], record["outcome"],
            record["bytesSent"] if record["outcome"] == "success" else None)


def assert_covered(attempts, records, where):
    wanted = collections.Counter(key_of_attempt(a) for a in attempts)
    found = collections.Counter(key_of_record(r) for r in records)
    missing = wanted - found
    assert not missing, f"{where}: export attempts without their audit record: {list(missing)[:5]}"


def audit_records(api, admin, params=None):
    records, offset = [], 0
    while True:
        page = api.get_json("/api/audit", admin, dict(params or {}, offset=offset, limit=1000))
        records += page["records"]
        offset += 1000
        if offset >= page["total"]:
            assert len(records) == page["total"]
            return records


@pytest.fixture(scope="module")
def attempts(api):
    made = list(api.export_attempts)
    outcomes = {expected_outcome(a) for a in made}
    assert {"success", "denied", "failed"} <= outcomes, "the earlier modules ran"
    return made


@pytest.mark.parametrize("hospital", [NORTH, RIVER])
def test_every_attempt_of_the_hospital_is_audited(api, attempts, hospital):
    records = audit_records(api, ADMINS[hospital])
    mine = [a for a in attempts if a.username and hospital_of(a.username) == hospital]
    assert mine
    assert_covered(mine, records, hospital)
    ids = [r["id"] for r in records]
    assert ids == sorted(ids, reverse=True), "newest first"
    for record in records:
        assert set(record) == RECORD_KEYS
        assert record["hospital"] == hospital, "an admin sees only their hospital's trail"
        assert record["outcome"] in OUTCOMES
        assert ISO_MILLIS.match(record["startedAt"])
        assert record["durationMs"] >= 0
        if record["endpoint"].startswith("GET "):
            assert record["clientAddress"] == "127.0.0.1"
        # An export sends bytes. A job's submission sends none (its run's record does),
        # a delivery may send none (a push whose instances the peer already held), and
        # an admin's change to a destination or a schedule sends none.
        sends_nothing = record["endpoint"] in ("POST /api/export/jobs",) or \
            record["endpoint"].startswith("DELIVER ") or any(
                route in record["endpoint"] for route in ("/api/destinations", "/api/schedules"))
        if record["outcome"] == "success" and not sends_nothing:
            assert record["bytesSent"] > 0 and record["entries"] >= 1, record["endpoint"]
        if record["outcome"] == "denied":
            assert record["bytesSent"] == 0 and record["detail"]


def test_riverside_admin_sees_nothing_of_northside(api, attempts):
    records = audit_records(api, "river-admin")
    assert not [r for r in records if r["username"].startswith("north-")]
    north_targets = {a.target for a in attempts if a.username.startswith("north-")}
    river_targets = {a.target for a in attempts if a.username.startswith("river-")}
    assert not [r for r in records if r["target"] in north_targets - river_targets]


def test_audit_filters(api, attempts):
    denied = audit_records(api, "north-admin", {"outcome": "denied"})
    assert denied and all(r["outcome"] == "denied" for r in denied)
    by_user = audit_records(api, "north-admin", {"user": "north-user"})
    assert by_user and all(r["username"] == "north-user" for r in by_user)
    assert_covered([a for a in attempts if a.username == "north-user"], by_user, "user=north-user")
    newest = by_user[0]["startedAt"]
    assert audit_records(api, "north-admin", {"since": "2999-01-01T00:00:00.000Z"}) == []
    assert audit_records(api, "north-admin", {"until": "2000-01-01T00:00:00.000Z"}) == []
    assert by_user[0] in audit_records(api, "north-admin", {"since": newest, "user": "north-user"})
    response = api.get("/api/audit", user="north-admin", params={"outcome": "lost"})
    assert response.status == 400 and response.error_code() == "invalid_input"


@pytest.mark.parametrize("user", ["north-user", "north-ai", "river-user"])
def test_audit_needs_the_admin_role(api, user):
    response = api.get("/api/audit", user=user)
    assert response.status == 403 and response.error_code() == "forbidden"


def test_audit_command_prints_json_lines(data_dir, attempts):
    result = run_cli("audit", "--data", data_dir, "--limit", "100000")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records and all(set(r) == RECORD_KEYS for r in records)
    # Including the attempts no hospital owns (no valid token) and the CLI's own.
    assert [a for a in attempts if not a.username]
    assert_covered(attempts, records, "pacsport audit")
    assert any(r["username"].startswith("cli:") and r["clientAddress"] == "local" for r in records)
    river = run_cli("audit", "--data", data_dir, "--hospital", RIVER, "--outcome", "success",
                    "--limit", "100000")
    assert river.returncode == 0, river.stderr
    river_records = [json.loads(line) for line in river.stdout.splitlines()]
    assert river_records
    assert all(r["hospital"] == RIVER and r["outcome"] == "success" for r in river_records)
    bad = run_cli("audit", "--data", data_dir, "--outcome", "lost")
    assert bad.returncode != 0 and bad.stderr.strip()
