"""Patient IDs that are awkward as names: a slash, characters Windows refuses, leading
dots, non-ASCII, and two IDs that sanitize alike. They must be reachable through the
API, and every name derived from them (download names, ZIP folders) must be safe."""

import io

import pydicom
import pydicom.uid
import pytest

from api_client import quote
from corpus import RIVER

# Patient ID is LO: up to 64 characters, any but backslash and control characters.
AWKWARD = {"slash": "A/B", "sanitizes-like-slash": "A_B", "non-ascii": "Ünïcødé évil",
           "leading-dots": "..dots", "windows-reserved": "x:y*z?",
           "traversal": "../../etc/passwd"}
AWKWARD_IDS = list(AWKWARD.values())


def instance_for(corpus, patient_id):
    ds = pydicom.dcmread(corpus.file("MR_small.dcm").path)
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientID = patient_id
    ds.PatientName = "Awkward^Ünïcødé"
    ds.StudyInstanceUID = pydicom.uid.generate_uid()
    ds.SeriesInstanceUID = pydicom.uid.generate_uid()
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    out = io.BytesIO()
    ds.save_as(out, write_like_original=False)
    return out.getvalue()


@pytest.fixture(scope="module", autouse=True)
def awkward_patients(api, corpus, tmp_path_factory):
    """One study per awkward ID, in Riverside."""
    directory = str(tmp_path_factory.mktemp("awkward"))
    for patient_id in AWKWARD_IDS:
        data = instance_for(corpus, patient_id)
        corpus.register(data, directory)
        response = api.request("POST", "/api/instances", token=api.token("river-admin"), body=data,
                               content_type="application/dicom")
        assert response.status == 201, (patient_id, response.body)


def test_awkward_ids_are_listed_as_stored(api):
    listed = {p["patientID"] for p in api.list_all("/api/patients", "patients", "river-user")}
    assert set(AWKWARD_IDS) <= listed


@pytest.mark.parametrize("patient_id", AWKWARD_IDS, ids=list(AWKWARD))
def test_awkward_id_can_be_opened_and_exported(api, checker, patient_id):
    response = api.get(f"/api/patients/{quote(patient_id)}", user="river-user")
    assert response.status == 200, (
        f"GET /api/patients/{quote(patient_id)} answers {response.status}: a listed patient "
        f"cannot be opened: {response.body[:200]!r}")
    assert response.json()["patientID"] == patient_id
    checker.check_patient_export(api.export("patient", patient_id, user="river-user"),
                                 "river-user", RIVER, patient_id)


def test_export_all_gives_each_awkward_id_its_own_safe_folder(api, checker):
    response = api.export("all", user="river-admin", params={"includeImages": "true"})
    archive, document = checker.check_all_export(response, "river-admin", RIVER, with_images=True)
    folders = {}
    for instance in document["instances"]:
        if instance["patientID"] in AWKWARD_IDS:
            folders.setdefault(instance["patientID"], instance["file"].split("/")[1])
    assert set(folders) == set(AWKWARD_IDS)
    assert len(set(folders.values())) == len(AWKWARD_IDS), folders
