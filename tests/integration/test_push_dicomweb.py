"""Export jobs pushed to another PACS with DICOMweb (issue 17): a real Orthanc with
Debian's DICOMweb plugin (orthanc_process.py) receives the instances by STOW-RS and is
asked by QIDO-RS what it holds, all through the API as a user would (a "dicomweb"
destination, then POST /api/export/jobs). Proven: every instance of the corpus arrives
byte-identical in batches and the report's counts are Orthanc's; a second push finds
them all present and sends nothing; a peer that refuses some instances (a Lua
ReceivedInstanceFilter raising an error, or answering false, which the plugin
acknowledges all the same) fails the job naming exactly those, the others stored;
wrong credentials are forbidden; a peer that goes away mid-transfer fails the job
cleanly and quickly. The server and the Orthancs are the module's own."""

import base64
import json
import time

import pytest

from corpus import DEFAULT_CORPUS, sha256_of
from destinations_api import DELIVERY_FINAL, create_destination, run_test_action
from orthanc_process import Orthanc
from server_process import run_cli
from test_export_jobs import Jobs, import_big_study, login_admin
from test_serve_config import start, stop

# Lua filters Orthanc runs on every instance it receives (its simplified tags).
REFUSE_MR_BY_ERROR = """
function ReceivedInstanceFilter(dicom, origin, info)
  if dicom.Modality == 'MR' then error('this peer takes no MR') end
  return true
end
"""
DROP_MR_SILENTLY = """
function ReceivedInstanceFilter(dicom, origin, info)
  return dicom.Modality ~= 'MR'
end
"""


@pytest.fixture(scope="module")
def pacsport(tmp_path_factory):
    """A server of hospital "H" holding the whole corpus (what pacsport accepts of it)
    and a big study of 40 instances, as {"jobs", "api", "big", "studies", "log"}."""
    tmp = tmp_path_factory.mktemp("push-dicomweb")
    data = str(tmp / "data")
    assert run_cli("hospital", "add", "--data", data, "H").returncode == 0
    assert run_cli("user", "add", "--data", data, "--hospital", "H", "--role", "admin", "admin",
                   stdin="admin-pass\n").returncode == 0
    run_cli("import", "--data", data, "--hospital", "H", DEFAULT_CORPUS)  # some files are refused
    big = import_big_study(data, tmp, "H", instances=40, frames=10)
    process, base = start(data, tmp / "server.log", "--demo")
    try:
        jobs = Jobs(base)
        login_admin(jobs)
        studies = jobs.api.get_json("/api/studies", "admin", {"limit": 500})["studies"]
        yield {"jobs": jobs, "api": jobs.api, "big": big, "studies": studies,
               "log": tmp / "server.log"}
    finally:
        stop(process)


def destination(pacsport, orthanc, name, **settings):
    return create_destination(pacsport["api"], "dicomweb", name,
                              {"url": orthanc.dicomweb_url, **settings}, {})


def push(pacsport, destination_id, timeout=60, **scope):
    jobs = pacsport["jobs"]
    job = jobs.start("admin", previews=False, includeImages=True, destination=destination_id,
                     **(scope or {"scope": "all"}))
    return jobs.wait("admin", job["id"], DELIVERY_FINAL, timeout)


def held_files(orthanc):
    """SOP Instance UID -> the bytes Orthanc holds, of every instance it holds."""
    return {facts.sop_uid: orthanc.file(orthanc_id) for orthanc_id, facts in orthanc.catalog().items()}


def test_every_instance_arrives_byte_identical_and_a_second_push_finds_them_present(
        pacsport, corpus, tmp_path):
    with Orthanc.running(tmp_path / "orthanc", dicomweb=True) as orthanc:
        target = destination(pacsport, orthanc, "orthanc all", batchInstances=7,
                             batchBytes=2 * 1024 * 1024)
        assert target["settings"]["url"] == orthanc.dicomweb_url and target["secrets"] == []
        assert run_test_action(pacsport["api"], target["id"]) == {"ok": True}
        assert orthanc.catalog() == {}  # the test action leaves nothing

        job = push(pacsport, target["id"])
        report = job["deliveredTo"]
        assert report["kind"] == "dicomweb" and report["url"] == orthanc.dicomweb_url
        held = held_files(orthanc)
        # Every file Orthanc holds is a file of the corpus (or of the big study), byte
        # for byte, and the report counts exactly what Orthanc holds.
        big_study = [uid for uid, data in held.items() if sha256_of(data) not in corpus.by_sha256]
        assert len(big_study) == 40
        assert len(held) - 40 > 40, "the corpus should give dozens of instances"
        assert report["alreadyPresent"] == 0
        assert report["sent"] >= len(held)  # files sharing a SOP Instance UID are one at Orthanc
        verification = {v["studyUid"]: v for v in report["verification"]}
        assert set(verification) == {s["studyInstanceUID"] for s in pacsport["studies"]}
        assert all(v["pushed"] == v["heldByPeer"] for v in verification.values()), verification
        assert sum(v["heldByPeer"] for v in verification.values()) == len(held)
        assert verification[pacsport["big"]]["heldByPeer"] == 40
        # Orthanc refuses what it cannot parse (SC_rgb_jpeg.dcm): those and only those
        # are refused, and the job fails naming them.
        refused = {r["sopInstanceUid"]: r["status"] for r in report["refusedInstances"]}
        assert report["refused"] == len(refused) and not set(refused) & set(held)
        assert (job["state"] == "failed") == bool(refused), job
        for uid in refused:
            assert uid in job["error"]

        again = push(pacsport, target["id"])
        assert again["deliveredTo"]["sent"] == 0
        assert again["deliveredTo"]["alreadyPresent"] == report["sent"]
        assert {r["sopInstanceUid"] for r in again["deliveredTo"]["refusedInstances"]} == set(refused)
        assert held_files(orthanc) == held

        # The refused files are those Orthanc's own REST API refuses too.
        for uid, status in refused.items():
            assert status == "HTTP 400, the instance not listed in the answer"
            files = [f for f in corpus.files if f.sop_instance_uid == uid]
            assert any(orthanc.upload(f.data, f.path) is None for f in files), uid


def refused_push(pacsport, corpus, tmp_path, lua):
    """A push of MR_small's study, CT_small's and the big one to an Orthanc running
    `lua`, in batches of 4: (job, what Orthanc holds)."""
    studies = [corpus.file(name).text("StudyInstanceUID") for name in ("MR_small.dcm", "CT_small.dcm")]
    with Orthanc.running(tmp_path / "orthanc", dicomweb=True, lua=lua) as orthanc:
        target = destination(pacsport, orthanc, "orthanc no mr " + str(time.monotonic()),
                             batchInstances=4)
        job = push(pacsport, target["id"], scope="studies", ids=studies + [pacsport["big"]])
        return job, held_files(orthanc)


def check_refused_mr(job, held, corpus):
    assert job["state"] == "failed", job
    report = job["deliveredTo"]
    refused = {r["sopInstanceUid"] for r in report["refusedInstances"]}
    mr = {f.sop_instance_uid for f in corpus.files if f.dataset is not None and f.text("Modality") == "MR"}
    assert refused and refused <= mr, (refused, mr)
    assert not refused & set(held), "a refused instance is held by the peer"
    assert f"the peer refused {report['refused']} of" in job["error"], job["error"]
    assert report["refusedInstances"][0]["sopInstanceUid"] in job["error"]
    assert report["refused"] == len(report["refusedInstances"])
    # The others all arrived: CT_small and the big study.
    assert corpus.file("CT_small.dcm").sop_instance_uid in held and len(held) == 41
    assert report["sent"] == 41
    return report


def test_a_peer_refusing_instances_fails_the_job_naming_them_and_stores_the_others(
        pacsport, corpus, tmp_path):
    # Orthanc's plugin 1.7 stops reading a request at an instance whose filter raises,
    # and lists neither it nor those after it: each is sent again alone.
    job, held = refused_push(pacsport, corpus, tmp_path, REFUSE_MR_BY_ERROR)
    report = check_refused_mr(job, held, corpus)
    assert all(r["status"].startswith("HTTP 200") for r in report["refusedInstances"]), report


def test_an_instance_acknowledged_but_dropped_is_refused_by_the_verification(
        pacsport, corpus, tmp_path):
    job, held = refused_push(pacsport, corpus, tmp_path, DROP_MR_SILENTLY)
    report = check_refused_mr(job, held, corpus)
    assert {r["status"] for r in report["refusedInstances"]} == {
        "acknowledged, but not held by the peer afterwards"}


def test_basic_authentication_right_and_wrong(pacsport, tmp_path):
    password, wrong_password = "Right-pw-7Qx", "Wrong-pw-9Zk"
    with Orthanc.running(tmp_path / "orthanc", credentials=("pacs", password), dicomweb=True) as orthanc:
        settings = {"url": orthanc.dicomweb_url, "auth": "basic"}
        wrong = create_destination(pacsport["api"], "dicomweb", "orthanc wrong password",
                                   settings, {"username": "pacs", "password": wrong_password})
        assert sorted(wrong["secrets"]) == ["password", "username"]
        tested = run_test_action(pacsport["api"], wrong["id"])
        assert tested["ok"] is False and tested["error"]["code"] == "forbidden", tested
        assert "401" in tested["error"]["message"] and "QIDO-RS" in tested["error"]["message"]
        job = push(pacsport, wrong["id"], scope="study", ids=[pacsport["big"]])
        assert job["state"] == "failed" and "401" in job["error"], job
        assert wrong_password not in json.dumps(job)
        assert orthanc.catalog() == {}

        right = create_destination(pacsport["api"], "dicomweb", "orthanc right password",
                                   settings, {"username": "pacs", "password": password})
        assert run_test_action(pacsport["api"], right["id"]) == {"ok": True}
        job = push(pacsport, right["id"], scope="study", ids=[pacsport["big"]])
        assert job["state"] == "delivered", job
        assert job["deliveredTo"]["sent"] == 40 and len(orthanc.catalog()) == 40
    log = pacsport["log"].read_text(errors="replace")
    for secret in (password, wrong_password):
        assert secret not in log
        assert base64.b64encode(f"pacs:{secret}".encode()).decode() not in log


def test_a_peer_going_away_mid_transfer_fails_the_job_cleanly(pacsport, tmp_path):
    with Orthanc.running(tmp_path / "orthanc", dicomweb=True) as orthanc:
        target = destination(pacsport, orthanc, "orthanc going away", batchInstances=1)
        jobs = pacsport["jobs"]
        job = jobs.start("admin", scope="study", ids=[pacsport["big"]], previews=False,
                         destination=target["id"])
        deadline = time.monotonic() + 30
        while not orthanc.get_json("/instances"):
            assert time.monotonic() < deadline, "nothing arrived"
            time.sleep(0.02)
        orthanc.kill()
        started = time.monotonic()
        job = jobs.wait("admin", job["id"], DELIVERY_FINAL, timeout=60)
        assert job["state"] == "failed", job
        assert "STOW-RS POST " + orthanc.dicomweb_url + "/studies" in job["error"], job
        assert time.monotonic() - started < 45
