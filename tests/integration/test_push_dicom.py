"""Export jobs pushed to another PACS over DICOM C-STORE (issue 17), against real peers
started here (dicom_peers.py): storescp receives each instance byte for byte as stored;
a peer that takes only little endian gets a JPEG Lossless instance decoded losslessly
(its pixels equal DCMTK's dcmdjpeg's) and the report says so; a peer that refuses a
SOP class fails the job naming that instance while the others arrive; dcmqrscp answers
C-FIND, so a second push finds the study already there and the verification counts
what the peer holds; a real Orthanc takes a push on its DICOM port and answers the
verification; a peer killed mid-push fails the job cleanly; every push is audited. The
server is the module's own."""

import io
import json
import subprocess
import time

import pydicom
import pytest
from pydicom.filereader import read_preamble

from destinations_api import DELIVERY_FINAL, create_destination, run_test_action
from dicom_peers import CT_ONLY_PROFILE, QrScp, StoreScp, free_port, running
from orthanc_process import Orthanc
from server_process import run_cli
from test_export_jobs import Jobs, login_admin
from test_serve_config import start, stop

CORPUS = "/usr/lib/python3/dist-packages/pydicom/data/test_files"
# One study each: CT (explicit VR LE), MR (explicit VR LE), secondary capture in JPEG
# Lossless (process 14, SV1), RT plan (implicit VR LE).
FILES = {"ct": "CT_small.dcm", "mr": "MR_small.dcm", "jpeg_lossless": "SC_rgb_jpeg_gdcm.dcm",
         "rtplan": "rtplan.dcm"}
JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"


def dataset_bytes(path):
    """The bytes of a Part 10 file after its meta header (what C-STORE carries), without
    a final Data Set Trailing Padding element (FFFC,FFFC), which PS3.10 lets readers
    ignore and DCMTK's storescp does not write (CT_small.dcm ends with one)."""
    with open(path, "rb") as f:
        read_preamble(f, False)
        pydicom.filereader._read_file_meta_info(f)
        data = f.read()
    padding = data.rfind(b"\xfc\xff\xfc\xffOB\x00\x00")
    if padding >= 0 and padding + 12 + int.from_bytes(data[padding + 8:padding + 12],
                                                        "little") == len(data):
        return data[:padding]
    return data


@pytest.fixture(scope="module")
def pacsport(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("push")
    data = str(tmp / "data")
    assert run_cli("hospital", "add", "--data", data, "H").returncode == 0
    assert run_cli("user", "add", "--data", data, "--hospital", "H", "--role", "admin", "admin",
                   stdin="admin-pass\n").returncode == 0
    studies = {}
    for name, file in FILES.items():
        path = f"{CORPUS}/{file}"
        result = run_cli("import", "--data", data, "--hospital", "H", path)
        assert result.returncode == 0, result.stdout + result.stderr
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        studies[name] = {"path": path, "study": ds.StudyInstanceUID, "sop": ds.SOPInstanceUID,
                         "sop_class": ds.SOPClassUID}
    process, base = start(data, tmp / "server.log", "--demo")
    try:
        jobs = Jobs(base)
        login_admin(jobs)
        yield {"jobs": jobs, "api": jobs.api, "studies": studies, "tmp": tmp}
    finally:
        stop(process)


def dicom_destination(pacsport, name, peer_port, ae_title, **extra):
    settings = {"aeTitle": ae_title, "host": "127.0.0.1", "port": peer_port,
                "callingAeTitle": "PACSPORT", "timeoutSeconds": 5, **extra}
    return create_destination(pacsport["api"], "dicom", name, settings, {})


def push(pacsport, destination, *names, timeout=60):
    studies = [pacsport["studies"][n]["study"] for n in names]
    jobs = pacsport["jobs"]
    job = jobs.start("admin", scope="studies", ids=studies, destination=destination["id"])
    return jobs.wait("admin", job["id"], DELIVERY_FINAL, timeout)


def deliveries(pacsport, job):
    audit = pacsport["api"].get_json("/api/audit", "admin", params={"limit": 100})["records"]
    return [r for r in audit
            if r["endpoint"] == "DELIVER /api/export/jobs/:id" and r["target"] == job["id"]]


def received_by_sop(peer):
    return {pydicom.dcmread(str(p), stop_before_pixels=True).SOPInstanceUID: p
            for p in peer.received()}


def test_storescp_receives_every_instance_byte_for_byte(pacsport, tmp_path):
    with running(StoreScp(tmp_path / "in", "+xa")) as peer:
        destination = dicom_destination(pacsport, "storescp all", peer.port, peer.ae_title)
        assert run_test_action(pacsport["api"], destination["id"])["ok"] is True
        job = push(pacsport, destination, "ct", "jpeg_lossless", "rtplan")
        assert job["state"] == "delivered", job
        received = received_by_sop(peer)
    report = job["deliveredTo"]
    assert report["kind"] == "dicom" and report["aeTitle"] == "STORESCP"
    assert report["port"] == peer.port and report["destination"]["id"] == destination["id"]
    assert (report["sent"], report["alreadyPresent"], report["refused"], report["transcoded"]) == \
        (3, 0, 0, 0)
    assert report["refusedInstances"] == [] and report["transcodedInstances"] == []
    # storescp answers no C-FIND: the counts are unknown, not invented.
    assert [v["heldByPeer"] for v in report["verification"]] == [None, None, None]
    assert [v["complete"] for v in report["verification"]] == [None, None, None]
    assert sorted(v["pushed"] for v in report["verification"]) == [1, 1, 1]
    assert job["archive"] is None
    assert job["progress"]["instancesDone"] == job["progress"]["instancesTotal"] == 3
    for name in ("ct", "jpeg_lossless", "rtplan"):
        study = pacsport["studies"][name]
        assert dataset_bytes(received[study["sop"]]) == dataset_bytes(study["path"]), name
    audited = deliveries(pacsport, job)
    assert len(audited) == 1 and audited[0]["outcome"] == "success", audited
    assert json.loads(audited[0]["detail"])["sent"] == 3
    assert "storescp all (dicom)" in audited[0]["targetLabel"]


def test_a_peer_taking_only_little_endian_gets_jpeg_lossless_decoded_losslessly(
        pacsport, tmp_path):
    with running(StoreScp(tmp_path / "in")) as peer:  # uncompressed syntaxes only
        destination = dicom_destination(pacsport, "storescp uncompressed", peer.port,
                                        peer.ae_title)
        job = push(pacsport, destination, "jpeg_lossless")
        received = received_by_sop(peer)
    assert job["state"] == "delivered", job
    study = pacsport["studies"]["jpeg_lossless"]
    report = job["deliveredTo"]
    assert report["sent"] == 1 and report["transcoded"] == 1
    assert report["transcodedInstances"][0]["sopInstanceUid"] == study["sop"]
    syntax = report["transcodedInstances"][0]["transferSyntaxUid"]
    assert syntax in ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2")
    got = pydicom.dcmread(str(received[study["sop"]]))
    assert pydicom.dcmread(study["path"]).file_meta.TransferSyntaxUID == JPEG_LOSSLESS_SV1
    assert got.file_meta.TransferSyntaxUID == syntax
    # The pixels as DCMTK's own decoder gives them: nothing lost.
    expected = tmp_path / "decoded.dcm"
    assert subprocess.run(["dcmdjpeg", study["path"], str(expected)]).returncode == 0
    assert got.PixelData == pydicom.dcmread(str(expected)).PixelData
    assert got.SOPInstanceUID == study["sop"] and got.StudyInstanceUID == study["study"]


def test_a_peer_refusing_a_sop_class_fails_the_job_naming_that_instance(pacsport, tmp_path):
    profile = tmp_path / "ct-only.cfg"
    profile.write_text(CT_ONLY_PROFILE)
    with running(StoreScp(tmp_path / "in", "-xf", str(profile), "CTOnly")) as peer:
        destination = dicom_destination(pacsport, "CT only", peer.port, peer.ae_title)
        job = push(pacsport, destination, "ct", "mr")
        received = received_by_sop(peer)
    ct, mr = pacsport["studies"]["ct"], pacsport["studies"]["mr"]
    assert job["state"] == "failed", job
    assert job["error"].startswith("delivery failed: the peer refused 1 of 2 instances: " +
                                   mr["sop"]), job["error"]
    assert mr["sop_class"] in job["error"]
    assert set(received) == {ct["sop"]}  # the others arrive
    report = job["deliveredTo"]
    assert (report["sent"], report["refused"]) == (1, 1)
    assert report["refusedInstances"][0]["sopInstanceUid"] == mr["sop"]
    audited = deliveries(pacsport, job)
    assert len(audited) == 1 and audited[0]["outcome"] == "failed"
    assert mr["sop"] in audited[0]["detail"]


def test_a_peer_that_answers_c_find_is_not_sent_what_it_holds_and_is_verified(
        pacsport, tmp_path):
    with running(QrScp(tmp_path)) as peer:
        destination = dicom_destination(pacsport, "dcmqrscp", peer.port, peer.ae_title)
        assert run_test_action(pacsport["api"], destination["id"])["ok"] is True
        first = push(pacsport, destination, "ct", "mr")
        second = push(pacsport, destination, "ct", "mr")
    assert first["state"] == "delivered", first["error"]
    report = first["deliveredTo"]
    assert (report["sent"], report["alreadyPresent"]) == (2, 0)
    assert [(v["pushed"], v["heldByPeer"]) for v in report["verification"]] == [(1, 1), (1, 1)]
    assert all(v["complete"] is True for v in report["verification"])
    assert second["state"] == "delivered", second
    again = second["deliveredTo"]
    assert (again["sent"], again["alreadyPresent"]) == (0, 2)
    assert [(v["pushed"], v["heldByPeer"]) for v in again["verification"]] == [(1, 1), (1, 1)]


def test_orthanc_takes_a_push_on_its_dicom_port_and_answers_the_verification(
        pacsport, tmp_path):
    """A real PACS as the peer: Orthanc's own C-STORE and C-FIND SCPs (not DCMTK's)."""
    with Orthanc.running(tmp_path / "orthanc", dicom_peer="PACSPORT") as orthanc:
        destination = dicom_destination(pacsport, "orthanc", orthanc.dicom_port, "ORTHANC")
        assert run_test_action(pacsport["api"], destination["id"])["ok"] is True
        names = ("ct", "mr", "jpeg_lossless", "rtplan")
        first = push(pacsport, destination, *names)
        second = push(pacsport, destination, *names)
        held = {instance["MainDicomTags"]["SOPInstanceUID"]: instance["ID"]
                for instance in orthanc.get_json("/instances?expand")}
        files = {sop: orthanc.file(orthanc_id) for sop, orthanc_id in held.items()}
    assert first["state"] == "delivered", first["error"]
    assert (first["deliveredTo"]["sent"], first["deliveredTo"]["refused"]) == (4, 0)
    assert [(v["pushed"], v["heldByPeer"], v["complete"])
            for v in first["deliveredTo"]["verification"]] == [(1, 1, True)] * 4
    assert second["state"] == "delivered", second["error"]
    assert (second["deliveredTo"]["sent"], second["deliveredTo"]["alreadyPresent"]) == (0, 4)
    assert set(held) == {pacsport["studies"][n]["sop"] for n in names}
    for name in names:
        study = pacsport["studies"][name]
        stored = pydicom.dcmread(io.BytesIO(files[study["sop"]]))
        original = pydicom.dcmread(study["path"])
        assert stored.file_meta.TransferSyntaxUID == original.file_meta.TransferSyntaxUID
        assert stored.get("PixelData") == original.get("PixelData"), name


def test_a_peer_killed_mid_push_fails_the_job_cleanly(pacsport, tmp_path):
    # The peer dies as it receives the first instance.
    script = tmp_path / "die.sh"
    peer = StoreScp(tmp_path / "in", "--exec-on-reception", f"sh {script}")
    script.write_text(f"kill -9 {peer.process.pid}\n")
    with running(peer):
        destination = dicom_destination(pacsport, "dying peer", peer.port, peer.ae_title)
        job = push(pacsport, destination, "ct", "mr", "rtplan", timeout=60)
    assert job["state"] == "failed", job
    assert job["error"].startswith("delivery failed: "), job["error"]
    assert "STORESCP" in job["error"]
    audited = deliveries(pacsport, job)
    assert len(audited) == 1 and audited[0]["outcome"] == "failed"


def test_a_cancel_mid_push_stops_it_between_instances(pacsport, tmp_path):
    # storescp takes 2 s over each instance: the push is cancelled during the first.
    with running(StoreScp(tmp_path / "in", "--sleep-during", "2")) as peer:
        destination = dicom_destination(pacsport, "slow peer", peer.port, peer.ae_title)
        jobs = pacsport["jobs"]
        studies = [pacsport["studies"][n]["study"] for n in ("ct", "mr", "rtplan")]
        job = jobs.start("admin", scope="studies", ids=studies, destination=destination["id"])
        jobs.wait("admin", job["id"], {"delivering"}, timeout=30)
        response = jobs.api.request("DELETE", f"/api/export/jobs/{job['id']}",
                                    token=jobs.api.token("admin"))
        assert response.status == 200 and response.json()["state"] == "cancelled"
        # The push ends (its delivery audited as aborted) without sending the rest.
        deadline = time.monotonic() + 20
        while not [r for r in deliveries(pacsport, job) if r["outcome"] != "in_progress"]:
            assert time.monotonic() < deadline, "the push did not stop"
            time.sleep(0.1)
        received = len(peer.received())
    assert deliveries(pacsport, job)[0]["outcome"] == "aborted"
    assert received < 3
    assert jobs.get("admin", job["id"])["state"] == "cancelled"


def test_a_peer_that_is_not_there_fails_its_test_and_bad_settings_are_refused(pacsport):
    destination = dicom_destination(pacsport, "nobody", free_port(), "NOBODY")
    result = run_test_action(pacsport["api"], destination["id"])
    assert result["ok"] is False and "NOBODY" in json.dumps(result)
    response = pacsport["api"].request(
        "POST", "/api/destinations", token=pacsport["api"].token("admin"),
        body=json.dumps({"name": "bad", "kind": "dicom",
                         "settings": {"aeTitle": "A", "host": "h", "port": 70000}}),
        content_type="application/json")
    assert response.status == 400
    assert "settings.port" in response.json()["error"]["message"]


def test_tls_reaches_a_peer_whose_certificate_the_destination_trusts(pacsport, tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    assert subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"],
        capture_output=True).returncode == 0
    with running(StoreScp(tmp_path / "in", "+tls", str(key), str(cert), "-ic")) as peer:
        trusted = create_destination(
            pacsport["api"], "dicom", "TLS trusted",
            {"aeTitle": peer.ae_title, "host": "127.0.0.1", "port": peer.port, "tls": True,
             "timeoutSeconds": 5},
            {"caCertificate": cert.read_text()})
        assert run_test_action(pacsport["api"], trusted["id"])["ok"] is True
        job = push(pacsport, trusted, "ct")
        assert job["state"] == "delivered", job
        assert job["deliveredTo"]["tls"] is True
        received = received_by_sop(peer)
        ct = pacsport["studies"]["ct"]
        assert dataset_bytes(received[ct["sop"]]) == dataset_bytes(ct["path"])
        # Without the CA, the self-signed certificate is not trusted.
        untrusted = dicom_destination(pacsport, "TLS untrusted", peer.port, peer.ae_title,
                                      tls=True)
        assert run_test_action(pacsport["api"], untrusted["id"])["ok"] is False


def test_a_peer_rejecting_our_association_fails_at_once_with_its_reason(pacsport, tmp_path):
    with running(QrScp(tmp_path)) as peer:  # dcmqrscp knows only its own AE title
        destination = dicom_destination(pacsport, "wrong AE title", peer.port, "NOT_QRSCP")
        result = run_test_action(pacsport["api"], destination["id"])
        assert result["ok"] is False
        started = time.monotonic()
        job = push(pacsport, destination, "ct")
    assert job["state"] == "failed"
    assert "rejected the association" in job["error"], job["error"]
    assert "Called AE Title Not Recognized" in job["error"], job["error"]
    assert time.monotonic() - started < 5  # not retried as an outage
