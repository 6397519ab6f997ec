"""Faults over real HTTP: a DICOM file that disappears or rots in the store while its
study is exported, and a client that goes away mid-download. The download must
never look complete, the audit trail must tell what happened, and the server must
keep serving."""

import io
import random
import socket
import subprocess
import time
import zipfile

import pydicom
import pydicom.uid
import pytest

from corpus import NORTH
from data_store import corrupt, damaged, delete, store_path

ENDPOINT = "GET /api/export/study/:studyUID"


def newest_audit_id(api):
    records = api.get_json("/api/audit", "north-admin", {"limit": 1})["records"]
    return records[0]["id"] if records else 0


def audit_record_after(api, after_id, target, timeout=10):
    """The completed audit record of the first export of `target` after `after_id`."""
    deadline = time.monotonic() + timeout
    while True:
        records = api.get_json("/api/audit", "north-admin", {"limit": 100})["records"]
        mine = [r for r in records if r["id"] > after_id and r["target"] == target]
        if mine and mine[-1]["outcome"] != "in_progress":
            return mine[-1]
        assert time.monotonic() < deadline, f"no completed audit record for {target}: {mine}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def multi_instance_study(api):
    """Northside's study with the most instances (at least two)."""
    studies = api.list_all("/api/studies", "studies", "north-user")
    study = max(studies, key=lambda s: s["numberOfInstances"])
    assert study["numberOfInstances"] >= 2
    detail = api.get_json(f"/api/studies/{study['studyInstanceUID']}", "north-user")
    return study["studyInstanceUID"], detail["instances"]


@pytest.mark.parametrize("damage", [delete, corrupt])
def test_source_failure_mid_stream_cuts_the_download(api, server, store_dir, multi_instance_study,
                                                     tmp_path, damage):
    uid, instances = multi_instance_study
    victim = store_path(store_dir, instances[-1]["sha256"])
    before = newest_audit_id(api)
    output = tmp_path / "partial.zip"
    with damaged(victim, damage):
        curl = subprocess.run(
            ["curl", "-sS", "-o", str(output), "-H", "Authorization: Bearer " + api.token("north-user"),
             f"{server.base_url}/api/export/study/{uid}?compression=0"],
            capture_output=True, text=True, timeout=60)
        record = audit_record_after(api, before, uid)
        response = api.export("study", uid, user="north-user")
    assert curl.returncode == 18, f"curl exit {curl.returncode}: {curl.stderr}"
    data = output.read_bytes()
    assert len(data) > instances[0]["size"], "the first instance went out before the failure"
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(data))
    assert record["outcome"] == "failed", record
    assert record["username"] == "north-user" and record["endpoint"] == ENDPOINT
    assert 0 < record["bytesSent"] <= len(data)
    assert instances[-1]["sopInstanceUID"] in record["detail"]
    assert response.status == 200 and not response.complete
    assert api.get_json("/api/health", "north-user")["status"] == "ok"
    assert server.alive()


def test_a_download_link_that_fails_mid_stream_reports_why(api, server, store_dir,
                                                          multi_instance_study):
    uid, instances = multi_instance_study
    victim = store_path(store_dir, instances[-1]["sha256"])
    token = api.token("north-user")
    link = api.request("POST", f"/api/export/link/study/{uid}?compression=0", token=token).json()
    assert api.get_json(link["statusUrl"], "north-user") == {"state": "pending"}
    with damaged(victim, delete):
        response = api.request("GET", link["url"])
    assert response.status == 200 and not response.complete
    status = api.get_json(link["statusUrl"], "north-user")
    assert status["state"] == "failed", status
    assert instances[-1]["sopInstanceUID"] in status["error"]["message"]
    assert server.alive()


def big_dicom(corpus, frames=512):
    """CT_small grown to `frames` frames of noise: about 16 MiB that no socket buffer
    holds, so a client that stops reading stalls the export."""
    ds = pydicom.dcmread(corpus.file("CT_small.dcm").path)
    ds.PatientID = "FAULT-TEST-BIG"
    ds.StudyInstanceUID = pydicom.uid.generate_uid()
    ds.SeriesInstanceUID = pydicom.uid.generate_uid()
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.NumberOfFrames = frames
    ds.PixelData = random.Random(7).randbytes(frames * ds.Rows * ds.Columns * 2)
    out = io.BytesIO()
    ds.save_as(out, write_like_original=False)
    return out.getvalue()


@pytest.fixture(scope="module")
def big_study(api, corpus):
    data = big_dicom(corpus)
    response = api.request("POST", "/api/instances", token=api.token("north-admin"), body=data,
                           content_type="application/dicom")
    assert response.status == 201, response.body
    return response.json()["studyInstanceUID"], len(data)


def test_client_disconnect_is_audited_as_aborted(api, server, big_study):
    uid, size = big_study
    before = newest_audit_id(api)
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    client.connect(("127.0.0.1", server.port))
    client.sendall((f"GET /api/export/study/{uid}?compression=0 HTTP/1.1\r\n"
                    f"Host: 127.0.0.1\r\nAuthorization: Bearer {api.token('north-user')}\r\n\r\n")
                   .encode())
    received = b""
    while len(received) < 400:
        chunk = client.recv(400 - len(received))
        assert chunk, "the server closed the connection first"
        received += chunk
    assert received.startswith(b"HTTP/1.1 200")
    client.close()
    record = audit_record_after(api, before, uid, timeout=15)
    # 16 MiB cannot sit in an 8 KiB receive buffer and a send buffer of at most 4 MiB
    # (net.ipv4.tcp_wmem): the server cannot have finished.
    assert record["outcome"] == "aborted", record
    assert 0 < record["bytesSent"] < size
    assert record["username"] == "north-user"
    assert api.get_json("/api/health", "north-user")["status"] == "ok"


def test_server_keeps_serving_after_the_faults(api, checker, server, multi_instance_study):
    uid, _ = multi_instance_study
    checker.check_study_export(api.export("study", uid, user="north-user"), "north-user", NORTH, uid)
    assert server.alive()
