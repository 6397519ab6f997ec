"""`pacsport migrate-index`: a server's embedded index copied into PostgreSQL, after
which a server on the PostgreSQL index answers what the SQLite one did and the audit
chain still verifies. Needs a PostgreSQL server (PACSPORT_TEST_POSTGRES_URL, which
scripts/test.sh's PostgreSQL round sets)."""

import json
import re

import pytest

import index_db
from api_client import Api
from server_process import run_cli
from test_export_jobs import Jobs
from test_serve_config import make_data_dir, start, stop

LISTINGS = ["/api/patients", "/api/studies", "/api/audit", "/api/export/jobs",
            "/api/destinations"]

pytestmark = pytest.mark.skipif(
    not index_db.SERVER_URL,
    reason="needs a PostgreSQL server: PACSPORT_TEST_POSTGRES_URL (scripts/test.sh's "
           "PostgreSQL round sets it)")


def listings(base):
    api = Api(base)
    return {path: api.get_json(path, "admin") for path in LISTINGS}


def test_an_embedded_index_moves_to_postgres_with_its_data_jobs_and_audit_chain(
        tmp_path, monkeypatch):
    monkeypatch.setenv("PACSPORT_INDEX_URL", "")  # the source: DIR/index.sqlite
    data = make_data_dir(tmp_path)
    process, base = start(data, tmp_path / "sqlite.log", "--demo")
    try:
        jobs = Jobs(base)
        (study,) = jobs.api.get_json("/api/studies", "admin")["studies"]
        uid = study["studyInstanceUID"]
        assert jobs.api.get(f"/api/export/study/{uid}", user="admin").status == 200
        job = jobs.start("admin", scope="study", ids=[uid])
        assert jobs.wait("admin", job["id"])["state"] == "done"
        created = jobs.api.request(
            "POST", "/api/destinations", token=jobs.api.token("admin"),
            body=json.dumps({"name": "Bucket", "kind": "s3", "settings": {
                "endpoint": "http://127.0.0.1:9", "region": "us-east-1", "bucket": "exports",
                "accessKeyId": "AKID"}, "secrets": {"secretAccessKey": "s3cr3t"}}),
            content_type="application/json")
        assert created.status == 201, created.body
        before = listings(base)
    finally:
        stop(process)
    assert before["/api/audit"]["total"] >= 2  # the export and the job's

    target = index_db.ensure_database(tmp_path / "target")
    migrated = run_cli("migrate-index", "--from", data, "--to", target)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    counts = dict(re.findall(r"^(\w+)\s+\d+\s+(\d+)$", migrated.stdout, re.M))
    assert counts["instances"] == "1" and counts["export_jobs"] == "1", migrated.stdout
    assert counts["destinations"] == "1" and int(counts["audit"]) >= 2, migrated.stdout
    assert "audit chain on the target verified" in migrated.stdout
    again = run_cli("migrate-index", "--from", data, "--to", target)
    assert again.returncode != 0 and "not empty" in again.stderr, again.stdout + again.stderr

    monkeypatch.setenv("PACSPORT_INDEX_URL", target)
    process, base = start(data, tmp_path / "postgres.log", "--demo")
    try:
        assert listings(base) == before
        # New rows take ids past the copied ones.
        jobs = Jobs(base)
        assert jobs.api.get(f"/api/export/study/{uid}", user="admin").status == 200
    finally:
        stop(process)
    verified = run_cli("audit", "verify", "--data", data)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "audit chain verified" in verified.stdout
