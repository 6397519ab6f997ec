"""Export parameters: includeImages, format, compression, previews, previewSize, input
validation, and the admin-only export of a whole hospital."""

import io
import json
import zipfile

import pytest

from archive_checks import MANIFEST, RECEIPT, png_dimensions, validate_document
from corpus import NORTH

UNKNOWN_UID = "1.2.826.0.1.3680043.999999.2"


@pytest.fixture(scope="module")
def ct_study(corpus):
    return corpus.file("CT_small.dcm").text("StudyInstanceUID")


@pytest.fixture(scope="module")
def largest_patient(api):
    patients = api.list_all("/api/patients", "patients", "north-user")
    return max((p for p in patients if p["patientID"]), key=lambda p: p["studyCount"])["patientID"]


def test_study_without_images(api, checker, ct_study):
    response = api.export("study", ct_study, user="north-user", params={"includeImages": "false"})
    archive, document = checker.check_study_export(response, "north-user", NORTH, ct_study,
                                                   with_images=False)
    assert document["instances"], "the instances are described even without images"


def test_patient_without_images(api, checker, largest_patient):
    response = api.export("patient", largest_patient, user="north-user",
                          params={"includeImages": "0"})
    checker.check_patient_export(response, "north-user", NORTH, largest_patient, with_images=False)


@pytest.mark.parametrize("scope", ["study", "patient"])
@pytest.mark.parametrize("include_images", [None, "true", "false"])
def test_format_json_answers_the_document(api, ct_study, largest_patient, scope, include_images):
    target = ct_study if scope == "study" else largest_patient
    params = {"format": "json"}
    if include_images is not None:
        params["includeImages"] = include_images
    response = api.export(scope, target, user="north-user", params=params)
    assert response.status == 200
    assert response.header("Content-Type").startswith("application/json")
    assert response.header("Content-Disposition") == \
        f'attachment; filename="{scope}_{target}_export.json"'
    document = response.json()
    validate_document(scope, document)
    assert document["metadata"]["includesImages"] is False
    assert all(i["file"] is None and i["previews"] == [] for i in document["instances"])
    zipped = api.export(scope, target, user="north-user", params={"includeImages": "false"})
    from_zip = zipfile.ZipFile(io.BytesIO(zipped.body)).read(f"{scope}_data.json")
    in_zip = json.loads(from_zip)
    for doc in (document, in_zip):
        doc["metadata"].pop("exportedAt")
        doc["patient"].pop("exportDate")
    assert document == in_zip, "format=json is the document the ZIP holds"


@pytest.mark.parametrize("params", [
    {"includeImages": "yes"}, {"includeImages": ""}, {"includeImages": "TRUE"},
    {"format": "xml"}, {"format": "ZIP"},
    {"compression": "10"}, {"compression": "-1"}, {"compression": "fast"}, {"compression": "9.0"},
    {"previews": "maybe"}, {"previewSize": "-5"}, {"previewSize": "big"},
])
def test_bad_parameters_answer_400(api, ct_study, params):
    response = api.export("study", ct_study, user="north-user", params=params)
    assert response.status == 400, params
    assert response.error_code() == "invalid_input"


@pytest.mark.parametrize("uid", ["...", "abc", "1" * 65, "1.2.", ".1.2", "1.2.3a", "1 .2"])
def test_invalid_study_uid_answers_400(api, uid):
    response = api.export("study", uid, user="north-user")
    assert response.status == 400, uid
    assert response.error_code() == "invalid_input"


def test_unknown_ids_answer_404(api):
    response = api.export("study", UNKNOWN_UID, user="north-user")
    assert response.status == 404 and response.error_code() == "not_found"
    response = api.export("patient", "NO-SUCH-PATIENT", user="north-user")
    assert response.status == 404 and response.error_code() == "not_found"
    response = api.export("patient", "P" * 65, user="north-user")
    assert response.status == 400 and response.error_code() == "invalid_input"


@pytest.mark.parametrize("user", ["north-user", "north-ai"])
def test_export_all_needs_the_admin_role(api, user):
    response = api.export("all", user=user)
    assert response.status == 403
    assert response.error_code() == "forbidden"


def test_export_all_without_images_is_the_admins_hospital_only(api, checker):
    response = api.export("all", user="north-admin")
    _, document = checker.check_all_export(response, "north-admin", NORTH, with_images=False)
    # The document's patients are its studies' (the empty Patient ID of unidentified
    # studies included, which the patient list leaves out).
    north = api.list_all("/api/studies", "studies", "north-user")
    river = api.list_all("/api/studies", "studies", "river-user")
    north_patients, north_studies = {s["patientID"] for s in north}, {s["studyInstanceUID"] for s in north}
    river_patients, river_studies = {s["patientID"] for s in river}, {s["studyInstanceUID"] for s in river}
    assert river_patients - north_patients and river_studies - north_studies
    assert {p["patientID"] for p in document["patients"]} == north_patients
    assert {s["studyInstanceUID"] for s in document["studies"]} == north_studies
    assert {i["studyInstanceUID"] for i in document["instances"]} == north_studies


def test_export_all_with_images(api, checker):
    response = api.export("all", user="north-admin", params={"includeImages": "true"})
    archive, document = checker.check_all_export(response, "north-admin", NORTH, with_images=True)
    assert any(name.endswith(".png") for name in archive.names)


def test_compression_zero_stores_every_entry(api, checker, ct_study):
    stored = api.export("study", ct_study, user="north-user", params={"compression": "0"})
    archive, _ = checker.check_study_export(stored, "north-user", NORTH, ct_study)
    assert {info.compress_type for info in archive.zip.infolist()} == {zipfile.ZIP_STORED}
    deflated = api.export("study", ct_study, user="north-user", params={"compression": "9"})
    archive9, _ = checker.check_study_export(deflated, "north-user", NORTH, ct_study)
    assert zipfile.ZIP_DEFLATED in {info.compress_type for info in archive9.zip.infolist()}
    assert len(deflated.body) < len(stored.body)
    for name in archive.names:
        if name != MANIFEST and not name.endswith(".json"):
            assert archive.read(name) == archive9.read(name), name


def test_previews_can_be_left_out(api, checker, ct_study):
    response = api.export("study", ct_study, user="north-user", params={"previews": "false"})
    archive, document = checker.check_study_export(response, "north-user", NORTH, ct_study,
                                                   with_previews=False)
    assert archive.names == ["dicom/1.dcm", "study_data.json", MANIFEST, RECEIPT]


def test_preview_size_bounds_the_longest_side(api, corpus):
    """CT_small is 128x128 and MR_small 64x64: previews of 32 pixels are downscaled, of
    100 pixels only the larger one is."""
    for name in ("CT_small.dcm", "MR_small.dcm"):
        source = corpus.file(name)
        full = max(source.integer("Rows"), source.integer("Columns"))
        for size in (32, 100):
            response = api.export("study", source.text("StudyInstanceUID"), user="north-user",
                                  params={"previewSize": str(size)})
            assert response.status == 200 and response.complete
            archive = zipfile.ZipFile(io.BytesIO(response.body))
            previews = [n for n in archive.namelist() if n.endswith(".png")]
            assert previews
            for preview in previews:
                width, height = png_dimensions(archive.read(preview))
                assert max(width, height) == min(size, full), (name, size, preview)
