"""Signed export receipts (issue 14): a streamed export and an export job's archive end
with receipt.json, listed last in checksums.sha256, naming the audit record and signed
with the data directory's Ed25519 key over a text rebuilt here independently;
`pacsport verify` accepts such an archive and names the first problem of one with a
changed DICOM byte, a changed receipt, a foreign key or no receipt."""

import base64
import hashlib
import json
import os
import time
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from archive_checks import MANIFEST, RECEIPT, ZipUnderTest
from corpus import NORTH
from server_process import run_cli

FORMAT = "pacsport-export-receipt-v1"
SIGNED_FIELDS = ["requestId", "exportedBy.username", "exportedBy.role", "exportedBy.hospital",
                 "exportedAt", "scope", "target", "archiveName", "manifest", "manifestSha256",
                 "keyId", "publicKey"]


def raw_public_key(key):
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public_bytes):
    return hashlib.sha256(public_bytes).hexdigest()[:16]


def signed_text(receipt):
    """The text the signature covers, as docs/export-format.md defines it."""
    def value(name):
        node = receipt
        for part in name.split("."):
            node = node[part]
        return node
    lines = [FORMAT, f"auditRecordId={receipt['auditRecordId']}"]
    lines += [f"{name}={json.dumps(value(name), ensure_ascii=False)}" for name in SIGNED_FIELDS]
    return ("\n".join(lines) + "\n").encode()


def sign(receipt, private_key):
    """`receipt` re-signed by `private_key`, which it then names."""
    public = raw_public_key(private_key.public_key())
    receipt = dict(receipt, publicKey=base64.b64encode(public).decode(), keyId=key_id(public))
    receipt["signature"] = base64.b64encode(private_key.sign(signed_text(receipt))).decode()
    return receipt


def manifest_line(name, data):
    return f"{hashlib.sha256(data).hexdigest()}  {name}\n".encode()


def rewrite(source, target, changes):
    """Copies the archive `source` to `target` entry by entry, in order and with the
    same compression, with changes[name] instead (None: left out)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = changes.get(info.filename, old.read(info.filename))
            if data is not None:
                fresh = zipfile.ZipInfo(info.filename, info.date_time)
                new.writestr(fresh, data, compress_type=info.compress_type)


def verify(archive, *args):
    return run_cli("verify", str(archive), *args)


@pytest.fixture(scope="module")
def hospital_key(data_dir, tmp_path_factory):
    """The data directory's public key, derived here from its key file, written as a
    --key file (the base64 form)."""
    with open(os.path.join(data_dir, "audit-signing-key")) as f:
        kind, seed = f.read().split()
    assert kind == "ed25519"
    public = raw_public_key(Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed)).public_key())
    path = tmp_path_factory.mktemp("keys") / "hospital.pub"
    path.write_text(base64.b64encode(public).decode() + "\n")
    assert os.stat(os.path.join(data_dir, "audit-signing-key")).st_mode & 0o777 == 0o600
    return {"path": str(path), "public": public, "id": key_id(public)}


@pytest.fixture(scope="module")
def foreign():
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def patient_export(api, tmp_path_factory):
    """A streamed patient export of Northside's and the response it came in."""
    patient = next(p for p in api.list_all("/api/patients", "patients", "north-user")
                   if p["patientID"])
    response = api.export("patient", patient["patientID"], user="north-user")
    directory = tmp_path_factory.mktemp("receipt_patient")
    archive = ZipUnderTest(response.body, str(directory))
    return {"archive": archive, "path": archive.path, "response": response,
            "patient": patient["patientID"]}


def check_signed_archive(archive, hospital_key):
    """receipt.json after checksums.sha256, the last entry, both passing unzip -t and sha256sum -c
    (ZipUnderTest), signed over the other lines by the hospital's key. Returns it."""
    archive.check_manifest()
    assert archive.names[-2:] == [MANIFEST, RECEIPT]
    manifest = archive.read(MANIFEST)
    lines = manifest.splitlines(keepends=True)
    receipt_bytes = archive.read(RECEIPT)
    assert lines[-1] == manifest_line(RECEIPT, receipt_bytes)
    receipt = json.loads(receipt_bytes)
    assert receipt["format"] == FORMAT and receipt["manifest"] == MANIFEST
    assert receipt["manifestSha256"] == hashlib.sha256(b"".join(lines[:-1])).hexdigest()
    assert receipt["keyId"] == hospital_key["id"]
    assert base64.b64decode(receipt["publicKey"]) == hospital_key["public"]
    Ed25519PublicKey.from_public_bytes(hospital_key["public"]).verify(
        base64.b64decode(receipt["signature"]), signed_text(receipt))  # raises if it does not
    return receipt


def audit_record(api, record_id):
    records = api.get_json("/api/audit", "north-admin", {"limit": 1000})["records"]
    return next(r for r in records if r["id"] == record_id)


def test_a_streamed_export_ends_with_a_signed_receipt(api, patient_export, hospital_key):
    receipt = check_signed_archive(patient_export["archive"], hospital_key)
    response = patient_export["response"]
    assert receipt["exportedBy"] == {"username": "north-user", "role": "user",
                                     "hospital": NORTH}
    assert receipt["scope"] == "patient" and receipt["target"] == patient_export["patient"]
    assert receipt["requestId"] == response.header("X-Request-Id")
    disposition = response.header("Content-Disposition")
    assert receipt["archiveName"] in disposition
    record = audit_record(api, receipt["auditRecordId"])
    assert record["username"] == "north-user" and record["outcome"] == "success"
    assert record["requestId"] == receipt["requestId"]
    assert record["target"] == receipt["target"]


def test_verify_accepts_the_archive_and_says_who_exported_it(patient_export, hospital_key):
    receipt = json.loads(patient_export["archive"].read(RECEIPT))
    result = verify(patient_export["path"], "--key", hospital_key["path"])
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "north-user (user), Northside General" in out
    assert f"audit record: {receipt['auditRecordId']}" in out
    assert receipt["exportedAt"] in out and hospital_key["id"] in out
    assert "verified: the receipt is signed by the given key" in out

    # Without --key, the receipt's own key only: said so, with its id to compare.
    result = verify(patient_export["path"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "embedded in the receipt only" in result.stdout and hospital_key["id"] in result.stdout



def test_verify_takes_the_key_the_server_publishes(api, patient_export, hospital_key, tmp_path):
    """GET /api/audit/public-key (no login: the key is public) answers the data
    directory's key, and its answer, saved as it is, is a --key file."""
    response = api.request("GET", "/api/audit/public-key")
    assert response.status == 200, response.body
    assert response.json() == {"algorithm": "Ed25519", "keyId": hospital_key["id"],
                               "publicKey": base64.b64encode(hospital_key["public"]).decode()}
    published = tmp_path / "public-key.json"
    published.write_bytes(response.body)
    result = verify(patient_export["path"], "--key", str(published))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "signed by the given key" in result.stdout


def test_an_export_jobs_archive_ends_with_a_signed_receipt(api, hospital_key, tmp_path):
    study = api.get_json("/api/studies", "north-user", {"limit": 1})["studies"][0]
    submitted = api.request("POST", "/api/export/jobs", token=api.token("north-user"),
                            body=json.dumps({"scope": "study", "ids": [study["studyInstanceUID"]]}),
                            content_type="application/json")
    assert submitted.status == 202, submitted.body
    job_id = submitted.json()["id"]
    deadline = time.monotonic() + 120
    while (job := api.get_json(f"/api/export/jobs/{job_id}", "north-user"))["state"] not in \
            {"done", "failed", "cancelled"}:
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    assert job["state"] == "done", job
    body = api.get(f"/api/export/jobs/{job_id}/archive", user="north-user").body
    archive = ZipUnderTest(body, str(tmp_path / "job"))
    receipt = check_signed_archive(archive, hospital_key)
    assert receipt["scope"] == "study" and receipt["target"] == study["studyInstanceUID"]
    assert receipt["archiveName"] == job["archiveName"]
    assert audit_record(api, receipt["auditRecordId"])["endpoint"] == "JOB /api/export/jobs/:id"
    result = verify(archive.path, "--key", hospital_key["path"])
    assert result.returncode == 0, result.stdout + result.stderr


class Unseekable:
    """A file zipfile cannot seek in, so that it writes each entry's sizes in a data
    descriptor after its bytes, as a streamed export does."""

    def __init__(self, f):
        self.f = f

    def write(self, data):
        return self.f.write(data)

    def flush(self):
        self.f.flush()


def test_verify_reads_zip64_entries_with_data_descriptors(patient_export, hospital_key, tmp_path):
    """The same entries written by another ZIP writer (Python's), each with ZIP64 sizes
    and a data descriptor."""
    rewritten = tmp_path / "zip64.zip"
    with zipfile.ZipFile(patient_export["path"]) as old, open(rewritten, "wb") as f, \
            zipfile.ZipFile(Unseekable(f), "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            with new.open(zipfile.ZipInfo(info.filename, info.date_time), "w",
                          force_zip64=True) as entry:
                entry.write(old.read(info.filename))
    with zipfile.ZipFile(rewritten) as check:
        assert all(i.flag_bits & 0x08 for i in check.infolist())
    result = verify(rewritten, "--key", hospital_key["path"])
    assert result.returncode == 0, result.stdout + result.stderr


def refused(archive, hospital_key, expected):
    result = verify(archive, "--key", hospital_key["path"])
    assert result.returncode == 1, result.stdout + result.stderr
    assert "NOT verified" in result.stderr and expected in result.stderr, result.stderr
    return result


def test_verify_refuses_a_changed_dicom_byte(patient_export, hospital_key, tmp_path):
    archive = patient_export["archive"]
    name = next(n for n in archive.names if n.endswith(".dcm"))
    data = bytearray(archive.read(name))
    data[len(data) // 2] ^= 0x01
    changed = tmp_path / "changed.zip"
    rewrite(patient_export["path"], changed, {name: bytes(data)})
    refused(changed, hospital_key, f"{name} does not match its checksum")

    # Its checksum line updated too: the receipt's manifestSha256 no longer matches.
    manifest = archive.read(MANIFEST).replace(manifest_line(name, archive.read(name)),
                                              manifest_line(name, bytes(data)))
    rewrite(patient_export["path"], changed, {name: bytes(data), MANIFEST: manifest})
    refused(changed, hospital_key, "manifestSha256 does not match")


def test_verify_refuses_a_changed_receipt(patient_export, hospital_key, tmp_path):
    archive = patient_export["archive"]
    receipt = json.loads(archive.read(RECEIPT))
    receipt["exportedBy"]["username"] = "someone-else"
    forged = json.dumps(receipt, indent=2).encode()
    changed = tmp_path / "changed.zip"
    rewrite(patient_export["path"], changed, {RECEIPT: forged})
    refused(changed, hospital_key, "receipt.json does not match its checksum")

    # Its checksum line updated too (sha256sum -c passes): the signature does not verify.
    manifest = archive.read(MANIFEST).replace(manifest_line(RECEIPT, archive.read(RECEIPT)),
                                              manifest_line(RECEIPT, forged))
    rewrite(patient_export["path"], changed, {RECEIPT: forged, MANIFEST: manifest})
    refused(changed, hospital_key, "signature does not verify")


def test_verify_refuses_a_foreign_key(patient_export, hospital_key, foreign, tmp_path):
    # The genuine archive against another hospital's key.
    other = tmp_path / "other.pub"
    other.write_text(base64.b64encode(raw_public_key(foreign.public_key())).decode())
    result = verify(patient_export["path"], "--key", str(other))
    assert result.returncode == 1 and "not by the given key" in result.stderr, result.stderr

    # A receipt re-signed by a foreign key is consistent in itself, not with the hospital's.
    archive = patient_export["archive"]
    resigned = json.dumps(sign(json.loads(archive.read(RECEIPT)), foreign), indent=2).encode()
    manifest = archive.read(MANIFEST).replace(manifest_line(RECEIPT, archive.read(RECEIPT)),
                                              manifest_line(RECEIPT, resigned))
    forged = tmp_path / "forged.zip"
    rewrite(patient_export["path"], forged, {RECEIPT: resigned, MANIFEST: manifest})
    alone = verify(forged)
    assert alone.returncode == 0, alone.stderr
    assert key_id(raw_public_key(foreign.public_key())) in alone.stdout
    refused(forged, hospital_key, "not by the given key")


def test_verify_refuses_an_archive_without_a_receipt(patient_export, hospital_key, tmp_path):
    archive = patient_export["archive"]
    manifest = archive.read(MANIFEST).replace(manifest_line(RECEIPT, archive.read(RECEIPT)), b"")
    stripped = tmp_path / "stripped.zip"
    rewrite(patient_export["path"], stripped, {RECEIPT: None, MANIFEST: manifest})
    refused(stripped, hospital_key, "no receipt.json")
    # Nor one whose entry is gone but still listed.
    rewrite(patient_export["path"], stripped, {RECEIPT: None})
    refused(stripped, hospital_key, "no receipt.json")


def test_verify_refuses_unusable_input_without_crashing(patient_export, hospital_key, tmp_path):
    data = open(patient_export["path"], "rb").read()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(data[: len(data) // 2])
    refused(truncated, hospital_key, "not a readable ZIP archive")
    text = tmp_path / "text.zip"
    text.write_text("not a zip\n")
    refused(text, hospital_key, "not a readable ZIP archive")
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w"):
        pass
    assert verify(empty).returncode == 1

    assert verify(tmp_path / "absent.zip").returncode == 2
    bad_key = tmp_path / "bad.pub"
    bad_key.write_text("not a key")
    assert verify(patient_export["path"], "--key", str(bad_key)).returncode == 2
    assert verify(patient_export["path"], "--key", str(tmp_path / "absent.pub")).returncode == 2
    assert run_cli("verify").returncode == 2
