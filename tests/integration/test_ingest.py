"""POST /api/instances: adding, re-adding, and refusing files without a trace."""

import io
import json
import os
import warnings
import zipfile

import pydicom
import pydicom.uid
import pytest

from api_client import quote
from archive_checks import validate_document
from data_store import store_files
from deflate_bomb import deflate_bomb

UPLOAD = "/api/instances"


def totals(api):
    return (api.get_json("/api/patients", "north-admin", {"limit": 1})["total"],
            api.get_json("/api/studies", "north-admin", {"limit": 1})["total"])


def upload(api, user, data, content_type="application/dicom"):
    return api.request("POST", UPLOAD, token=api.token(user), body=data, content_type=content_type)


def rewritten(corpus, name, change):
    ds = pydicom.dcmread(corpus.file(name).path)
    change(ds)
    out = io.BytesIO()
    ds.save_as(out, write_like_original=False)
    return out.getvalue()


def without_sop_instance_uid(ds):
    del ds.SOPInstanceUID


def without_study_uid(ds):
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    del ds.StudyInstanceUID


def with_invalid_series_uid(ds):
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns about the invalid UID we want
        ds.SeriesInstanceUID = "1.2.abc"


@pytest.fixture(scope="module")
def river_only_file(api, corpus):
    """A corpus file Riverside holds and Northside does not."""
    north = {s["studyInstanceUID"] for s in api.list_all("/api/studies", "studies", "north-admin")}
    for study in api.list_all("/api/studies", "studies", "river-admin"):
        if study["studyInstanceUID"] not in north:
            detail = api.get_json(f"/api/studies/{study['studyInstanceUID']}", "river-admin")
            return corpus.by_sha256[detail["instances"][0]["sha256"]]
    raise AssertionError("no Riverside-only study")


def test_add_then_already_present(api, river_only_file):
    before = totals(api)
    response = upload(api, "north-admin", river_only_file.data)
    assert response.status == 201, response.body
    body = response.json()
    assert body == {"status": "added", "sopInstanceUID": river_only_file.sop_instance_uid,
                    "studyInstanceUID": river_only_file.text("StudyInstanceUID"),
                    "sha256": river_only_file.sha256, "size": len(river_only_file.data)}
    assert totals(api)[1] == before[1] + 1
    detail = api.get_json(f"/api/studies/{body['studyInstanceUID']}", "north-user")
    assert [i["sha256"] for i in detail["instances"]] == [river_only_file.sha256]
    again = upload(api, "north-ai", river_only_file.data)
    assert again.status == 200
    assert again.json() == dict(body, status="alreadyPresent")
    assert totals(api)[1] == before[1] + 1


def test_a_new_file_lands_in_the_store(api, corpus, store_dir):
    """The control for the counts the refusal tests rely on."""
    def new_patient(ds):
        ds.PatientID = "INGEST-TEST-1"
        ds.StudyInstanceUID = pydicom.uid.generate_uid()
        ds.SeriesInstanceUID = pydicom.uid.generate_uid()
        ds.SOPInstanceUID = pydicom.uid.generate_uid()
    files, (patients, studies) = store_files(store_dir), totals(api)
    response = upload(api, "north-admin", rewritten(corpus, "CT_small.dcm", new_patient))
    assert response.status == 201
    added = store_files(store_dir) - files
    assert [os.path.basename(p) for p in added] == [response.json()["sha256"]]
    assert totals(api) == (patients + 1, studies + 1)


@pytest.mark.parametrize("case", [
    "not DICOM", "empty", "MR_truncated.dcm", "rtplan_truncated.dcm", "README.txt",
    "no SOP Instance UID", "no Study Instance UID", "invalid Series Instance UID",
])
def test_refused_files_leave_no_trace(api, corpus, store_dir, case):
    made = {
        "not DICOM": lambda: b"this is not a DICOM file\n" * 40,
        "empty": lambda: b"",
        "no SOP Instance UID": lambda: rewritten(corpus, "CT_small.dcm", without_sop_instance_uid),
        "no Study Instance UID": lambda: rewritten(corpus, "CT_small.dcm", without_study_uid),
        "invalid Series Instance UID": lambda: rewritten(corpus, "MR_small.dcm", with_invalid_series_uid),
    }
    data = made[case]() if case in made else corpus.file(case).data
    files, counts = store_files(store_dir), totals(api)
    response = upload(api, "north-admin", data)
    assert response.status == 400, (case, response.status, response.body)
    assert response.error_code() == "invalid_input"
    assert store_files(store_dir) == files
    assert os.listdir(os.path.join(store_dir, "tmp")) == []
    assert totals(api) == counts


@pytest.mark.parametrize("content_type", [None, "application/octet-stream", "text/plain",
                                          "application/dicom+json"])
def test_wrong_content_type_is_415(api, corpus, content_type):
    response = api.request("POST", UPLOAD, token=api.token("north-admin"),
                           body=corpus.file("CT_small.dcm").data, content_type=content_type)
    assert response.status == 415 and response.error_code() == "unsupported_media_type"


def test_only_admins_and_ai_may_upload(api, corpus):
    response = upload(api, "north-user", corpus.file("CT_small.dcm").data)
    assert response.status == 403 and response.error_code() == "forbidden"
    response = api.request("POST", UPLOAD, body=corpus.file("CT_small.dcm").data,
                           content_type="application/dicom")
    assert response.status == 401 and response.error_code() == "unauthenticated"


def test_malformed_multipart_is_400_with_a_documented_code(api, corpus):
    """cpp-httplib itself refuses a multipart body that does not parse; the answer must
    still speak the API's error vocabulary (invalid_input for 400)."""
    response = api.request("POST", UPLOAD, token=api.token("north-admin"),
                           body=corpus.file("CT_small.dcm").data,
                           content_type="multipart/form-data; boundary=x")
    assert response.status in (400, 415)
    assert response.error_code() == {400: "invalid_input", 415: "unsupported_media_type"}[response.status]


def test_deflate_bomb_is_413_and_leaves_no_trace(api, store_dir):
    """About a MB that inflates to 1.06 GiB, beyond the default ingest.max_inflated_mb:
    refused while inflating, nothing stored or indexed."""
    bomb = deflate_bomb(0x44000000, "1.2.826.0.1.3680043.10.1299.1")
    assert len(bomb) < 2 << 20
    files, counts = store_files(store_dir), totals(api)
    response = upload(api, "north-admin", bomb)
    assert response.status == 413, (response.status, response.body[:300])
    assert response.error_code() == "payload_too_large"
    assert "inflates beyond 1024 MiB" in response.json()["error"]["message"]
    assert store_files(store_dir) == files
    assert os.listdir(os.path.join(store_dir, "tmp")) == []
    assert totals(api) == counts


LEADING_ZEROS = "1.2.840.0010.5.0001"  # not conformant (PS3.5 9.1), as Orthanc accepts


def with_leading_zero_uids(ds):
    ds.PatientID = "LEADING-ZEROS"
    ds.StudyInstanceUID = LEADING_ZEROS + ".1"
    ds.SeriesInstanceUID = LEADING_ZEROS + ".02"
    ds.SOPInstanceUID = LEADING_ZEROS + ".003"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID


def test_leading_zero_uids_are_ingested_browsed_and_exported(api, corpus):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns about the UIDs we want
        data = rewritten(corpus, "CT_small.dcm", with_leading_zero_uids)
    study = LEADING_ZEROS + ".1"
    response = upload(api, "north-admin", data)
    assert response.status == 201, response.body
    assert response.json()["studyInstanceUID"] == study
    detail = api.get_json(f"/api/studies/{study}", "north-user")
    assert [i["sopInstanceUID"] for i in detail["instances"]] == [LEADING_ZEROS + ".003"]

    exported = api.export("study", study, user="north-user")
    assert exported.status == 200 and exported.complete
    assert f'filename="study_{study}_export.zip"' in exported.header("Content-Disposition")
    with zipfile.ZipFile(io.BytesIO(exported.body)) as archive:
        assert archive.testzip() is None
        assert archive.read("dicom/1.dcm") == data
        document = json.loads(archive.read("study_data.json"))
    assert document["study"]["studyInstanceUID"] == study
    validate_document("study", document)

    patient = api.export("patient", "LEADING-ZEROS", user="north-user")
    assert patient.status == 200 and patient.complete
    with zipfile.ZipFile(io.BytesIO(patient.body)) as archive:
        assert f"studies/{study}/1.dcm" in archive.namelist(), archive.namelist()


@pytest.mark.parametrize("uid", ["...", "1.2.", ".1.2", "1.2a", "1.2\\3", "1" * 65])
def test_uids_that_could_bend_a_path_are_400(api, uid):
    responses = [api.get(f"/api/studies/{quote(uid)}", user="north-user"),
                 api.get(f"/api/studies/{quote(uid)}/thumbnail", user="north-user"),
                 api.export("study", uid, user="north-user")]
    for response in responses:
        assert response.status == 400, (uid, response.status, response.body[:200])
        assert response.error_code() == "invalid_input"


@pytest.mark.parametrize("uid", ["1.2.840.10008.5.1.", ".1.2.840", "1.2.840.1a"])
def test_ingest_refuses_uids_that_could_bend_a_path(api, corpus, store_dir, uid):
    def with_bad_sop_uid(ds):
        ds.SOPInstanceUID = uid
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = rewritten(corpus, "MR_small.dcm", with_bad_sop_uid)
    files, counts = store_files(store_dir), totals(api)
    response = upload(api, "north-admin", data)
    assert response.status == 400 and response.error_code() == "invalid_input"
    assert store_files(store_dir) == files and totals(api) == counts
