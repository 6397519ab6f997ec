"""The audit trail for legal and compliance (issue 14): complete records (studies of
every scope, the delivered bytes' SHA-256, the request id), filters and CSV / JSON-lines
export, refused link uses under the link's user, a hash chain that `pacsport audit
verify` checks (an edited, a deleted and a reordered row found, straight in the SQLite
file), Ed25519 signatures checked by an independent implementation (Python's
cryptography), and retention archives that keep the chain whole. Each server here is
the module's own."""

import base64
import csv
import hashlib
import io
import json
import os
import time
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import index_db
from api_client import Api
from server_process import run_cli, seed_demo
from test_serve_config import CT_SMALL, start, stop

CORPUS = "/usr/lib/python3/dist-packages/pydicom/data/test_files"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("audit-chain")
    data = str(tmp / "data")
    seed_demo(data, CORPUS)
    process, base = start(data, tmp / "log", "--demo")
    yield {"data": data, "api": Api(base), "tmp": tmp}
    stop(process)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def records(api, **filters):
    return api.get_json("/api/audit", "north-admin", dict(filters, limit=1000))["records"]


def record_of(api, response, **filters):
    """The record of `response`'s export, found by its request id."""
    request_id = response.header("X-Request-Id")
    (record,) = [r for r in records(api, **filters) if r["requestId"] == request_id]
    return record


def studies_of(api, record_id):
    page = api.get_json(f"/api/audit/{record_id}/studies", "north-admin", {"limit": 1000})
    assert page["total"] == len(page["studies"])
    return {s["studyInstanceUID"]: s["patientID"] for s in page["studies"]}


def public_key(api):
    response = api.get("/api/audit/public-key")  # no token: the key is public
    assert response.status == 200
    document = response.json()
    assert document["algorithm"] == "Ed25519" and len(document["keyId"]) == 16
    raw = base64.b64decode(document["publicKey"])
    assert len(raw) == 32
    return document, Ed25519PublicKey.from_public_bytes(raw)


def test_a_study_export_record_is_complete_and_sealed(demo):
    api = demo["api"]
    study = api.get_json("/api/studies", "north-user", {"limit": 1})["studies"][0]
    uid = study["studyInstanceUID"]
    response = api.export("study", uid, user="north-user")
    assert response.status == 200 and response.complete
    record = record_of(api, response, studyUid=uid)
    with zipfile.ZipFile(io.BytesIO(response.body)) as archive:
        dicom_files = [n for n in archive.namelist() if n.endswith(".dcm")]
    assert record["username"] == "north-user" and record["role"] == "user"
    assert record["scope"] == "study" and record["target"] == uid
    assert study["patientID"] in record["targetLabel"]
    # A DICOM name reads as people write it: "Family, Given", not "Family^Given".
    family, _, given = study["patientName"].partition("^")
    if family and given:
        assert f"{family}, {given.split('^')[0]}" in record["targetLabel"]
    assert "^" not in record["targetLabel"]
    assert record["outcome"] == "success"
    assert record["bytesSent"] == len(response.body)
    assert record["contentSha256"] == sha256(response.body)
    assert record["instances"] == len(dicom_files) > 0
    assert record["studyCount"] == 1
    assert studies_of(api, record["id"]) == {uid: study["patientID"]}
    seal = record["seal"]
    assert seal["chainSeq"] >= 1 and len(seal["recordHash"]) == 64
    assert api.get_json(f"/api/audit/{record['id']}", "north-admin", None) == record

    # The seal's signature holds for the published key, checked by another implementation.
    key_document, key = public_key(api)
    assert seal["keyId"] == key_document["keyId"]
    key.verify(base64.b64decode(seal["signature"]),
               f"pacsport-audit-v1 {seal['chainSeq']} {seal['recordHash']}".encode())


def test_patient_and_all_exports_list_every_study(demo):
    api = demo["api"]
    patient = api.get_json("/api/patients", "north-user", {"limit": 1})["patients"][0]
    response = api.export("patient", patient["patientID"], user="north-user",
                          params={"includeImages": "false"})
    assert response.status == 200
    record = record_of(api, response, patientId=patient["patientID"])
    assert record["scope"] == "patient" and record["studyCount"] == patient["studyCount"]
    assert set(studies_of(api, record["id"]).values()) == {patient["patientID"]}

    everything = api.export("all", None, user="north-admin", params={"includeImages": "false"})
    assert everything.status == 200
    record = record_of(api, everything, scope="all")
    total = api.get_json("/api/studies", "north-admin", {"limit": 1})["total"]
    assert record["studyCount"] == total and len(studies_of(api, record["id"])) == total
    assert record["targetLabel"].startswith("all patients: ")
    # Each study the export held finds the record.
    some_uid = next(iter(studies_of(api, record["id"])))
    assert record["id"] in [r["id"] for r in records(api, studyUid=some_uid)]


def test_filters_refuse_what_they_cannot_mean(demo):
    api = demo["api"]
    for params in ({"scope": "everything"}, {"since": "yesterday"}, {"outcome": "lost"}):
        response = api.get("/api/audit", user="north-admin", params=params)
        assert response.status == 400 and response.error_code() == "invalid_input", params
    assert api.get("/api/audit/999999999", user="north-admin").status == 404
    assert api.get("/api/audit/1", user="north-user").status == 403


def test_another_hospitals_record_is_not_found(demo):
    api = demo["api"]
    mine = records(api)[0]
    response = api.get(f"/api/audit/{mine['id']}", user="river-admin")
    assert response.status == 404
    assert api.get(f"/api/audit/{mine['id']}/studies", user="river-admin").status == 404


def test_csv_and_json_lines_exports_hold_every_record_of_the_filter(demo):
    api = demo["api"]
    listed = records(api, user="north-user")
    assert listed
    as_csv = api.get("/api/audit/export", user="north-admin",
                     params={"format": "csv", "user": "north-user"})
    assert as_csv.status == 200 and as_csv.complete
    assert as_csv.header("Content-Type").startswith("text/csv")
    assert as_csv.header("Content-Disposition").startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(as_csv.body.decode())))
    assert [int(r["id"]) for r in rows] == [r["id"] for r in listed]
    assert rows[0]["recordHash"] == listed[0]["seal"]["recordHash"]
    assert {r["username"] for r in rows} == {"north-user"}

    as_lines = api.get("/api/audit/export", user="north-admin",
                       params={"format": "jsonl", "user": "north-user"})
    assert as_lines.status == 200
    lines = [json.loads(line) for line in as_lines.body.decode().splitlines()]
    assert lines == listed

    assert api.get("/api/audit/export", user="north-admin",
                   params={"format": "xml"}).status == 400
    assert api.get("/api/audit/export", user="north-user", params={"format": "csv"}).status == 403


def test_a_refused_link_use_is_audited_under_the_links_user(demo):
    api = demo["api"]
    uid = api.get_json("/api/studies", "north-user", {"limit": 1})["studies"][0]["studyInstanceUID"]
    made = api.request("POST", f"/api/export/link/study/{uid}?includeImages=false",
                       token=api.token("north-user"))
    assert made.status == 201
    url = made.json()["url"]
    assert api.request("GET", url).status == 200
    again = api.request("GET", url)
    assert again.status == 404
    record = record_of(api, again, outcome="denied")
    assert record["username"] == "north-user" and record["hospital"] == "Northside General"
    assert record["target"] == uid and record["scope"] == "study"
    assert "used or expired" in record["detail"]


def test_audit_verify_accepts_the_served_chain_and_refuses_a_foreign_key(demo, tmp_path):
    api = demo["api"]
    key_document, _ = public_key(api)
    key_file = tmp_path / "published.json"
    key_file.write_text(json.dumps(key_document))
    checked = run_cli("audit", "verify", "--data", demo["data"], "--key", str(key_file))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "audit chain verified" in checked.stdout and key_document["keyId"] in checked.stdout

    other = cli_data_dir(tmp_path / "other", exports=1)
    foreign = run_cli("audit", "verify", "--data", other, "--key", str(key_file))
    assert foreign.returncode == 1 and "another key" in foreign.stdout


# A data directory of the CLI's own: no server, so its file can be edited freely.

def cli_data_dir(path, exports=5):
    data = str(path)
    assert run_cli("hospital", "add", "--data", data, "H").returncode == 0
    assert run_cli("import", "--data", data, "--hospital", "H", CT_SMALL).returncode == 0
    with index_db.connect(data) as db:
        (uid,) = db.execute("SELECT study_uid FROM studies").fetchone()
    for _ in range(exports):
        made = run_cli("export", "study", uid, "--data", data, "--hospital", "H", "--format", "json")
        assert made.returncode == 0, made.stderr
    return data


def tampered(template, tmp_path, name, *statements):
    copy = str(tmp_path / name)
    index_db.copy_data_dir(template, copy)
    with index_db.connect(copy) as db:
        for statement in statements:
            db.execute(statement)
    return run_cli("audit", "verify", "--data", copy)


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    return cli_data_dir(tmp_path_factory.mktemp("chain") / "data")


def test_audit_verify_finds_an_edited_a_deleted_and_a_reordered_record(chain, tmp_path):
    intact = run_cli("audit", "verify", "--data", chain)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    with index_db.connect(chain) as db:
        sealed = db.execute("SELECT id, chain_seq FROM audit WHERE chain_seq IS NOT NULL "
                            "ORDER BY chain_seq").fetchall()
    assert len(sealed) == 5
    (edited_id, _), (deleted_id, _) = sealed[2], sealed[1]

    edited = tampered(chain, tmp_path, "edited",
                      f"UPDATE audit SET username = 'mallory' WHERE id = {edited_id}")
    assert edited.returncode == 1
    assert f"BROKEN at record {edited_id} " in edited.stdout and "changed" in edited.stdout

    deleted = tampered(chain, tmp_path, "deleted",
                       f"DELETE FROM audit_studies WHERE audit_id = {deleted_id}",
                       f"DELETE FROM audit WHERE id = {deleted_id}")
    assert deleted.returncode == 1 and "removed" in deleted.stdout

    # Two records swap places in the chain.
    (a, a_seq), (b, b_seq) = sealed[1], sealed[3]
    reordered = tampered(chain, tmp_path, "reordered",
                         f"UPDATE audit SET chain_seq = -1 WHERE id = {a}",
                         f"UPDATE audit SET chain_seq = {a_seq} WHERE id = {b}",
                         f"UPDATE audit SET chain_seq = {b_seq} WHERE id = {a}")
    assert reordered.returncode == 1 and f"chain seq {a_seq})" in reordered.stdout

    # Rehashing an edited record is not enough: its signature no longer holds.
    rehashed = tampered(chain, tmp_path, "rehashed",
                        f"UPDATE audit SET signature = '' WHERE id = {edited_id}")
    assert rehashed.returncode == 1 and "not signed" in rehashed.stdout


def test_retention_moves_old_records_to_archives_that_verify(tmp_path):
    data = cli_data_dir(tmp_path / "data", exports=3)
    with index_db.connect(data) as db:
        (before,) = db.execute("SELECT COUNT(*) FROM audit").fetchone()
    time.sleep(1.5)
    process, _ = start(data, tmp_path / "log", "--demo",
                       env={"PACSPORT_AUDIT_RETENTION_SECONDS": "1"})
    try:
        deadline = time.monotonic() + 30
        while "event=audit_archived" not in open(tmp_path / "log").read():
            assert time.monotonic() < deadline, open(tmp_path / "log").read()
            time.sleep(0.1)
    finally:
        stop(process)
    archives = sorted(os.listdir(os.path.join(data, "audit-archive")))
    assert len(archives) == 1 and archives[0] == f"audit-1-{before}.jsonl", archives
    with index_db.connect(data) as db:
        assert db.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 0
    path = os.path.join(data, "audit-archive", archives[0])
    lines = [json.loads(line) for line in open(path)]
    assert [line["chainSeq"] for line in lines] == list(range(1, before + 1))
    verified = run_cli("audit", "verify", "--data", data)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"audit archives verified: {before} records" in verified.stdout

    # New records chain on from the archive.
    made = run_cli("export", "study", "1.2.3.4", "--data", data, "--hospital", "H")
    assert made.returncode != 0  # refused, and audited
    assert run_cli("audit", "verify", "--data", data).returncode == 0

    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("cli:", "clx:", 1))
    broken = run_cli("audit", "verify", "--data", data)
    assert broken.returncode == 1 and "audit archive BROKEN" in broken.stdout
