"""docs/schemas: valid draft 2020-12 schemas, strict enough to catch a drifting
document, and in agreement with each other."""

import copy

import jsonschema
import pytest

from archive_checks import load_schema, validate_document

SCOPES = ["study", "patient", "all"]

INSTANCE = {
    "sopInstanceUID": "1.2.3.4.1", "studyInstanceUID": "1.2.3", "seriesInstanceUID": "1.2.3.4",
    "patientID": "P1", "seriesNumber": 1, "instanceNumber": None, "numberOfFrames": 2,
    "sopClassUID": "1.2.840.10008.5.1.4.1.1.2", "transferSyntaxUID": "1.2.840.10008.1.2.1",
    "orthancInstanceId": "0123abcd-0123abcd-0123abcd-0123abcd-0123abcd",
    "sha256": "0" * 64, "size": 10, "file": "dicom/1.dcm",
    "previews": ["previews/frame_0.png", "previews/frame_1.png"],
}
PATIENT = {"patientID": "P1", "patientName": "Doe^Jane", "birthDate": "19700101", "sex": "F",
           "studyCount": 1, "latestStudyDate": "20240101", "exportDate": "2024-01-02T03:04:05.678Z",
           "folder": None}
STUDY = {"studyInstanceUID": "1.2.3", "patientID": "P1", "patientName": "Doe^Jane",
         "studyDate": "20240101", "studyTime": "120000", "modality": "CT",
         "studyDescription": "", "accessionNumber": "", "numberOfSeries": 1,
         "numberOfInstances": 1, "totalBytes": 10, "aiAnalysis": None, "aiAnalyzedAt": None,
         "aiModels": [], "folder": None}


def metadata(scope):
    return {"exportedBy": "north-user", "exportedAt": "2024-01-02T03:04:05.678Z", "version": "1.0",
            "includesImages": True, "hospital": "Northside General", "exportType": scope}


def example(scope):
    document = {"study": {"patient": PATIENT, "study": STUDY},
                "patient": {"patient": PATIENT, "studies": [STUDY]},
                "all": {"patients": [PATIENT], "studies": [STUDY]}}[scope]
    document = copy.deepcopy(document)
    document["instances"] = [copy.deepcopy(INSTANCE)]
    document["metadata"] = metadata(scope)
    return document


@pytest.mark.parametrize("scope", SCOPES)
def test_example_document_is_valid(scope):
    validate_document(scope, example(scope))


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("mutation", [
    "extra top-level key", "missing instances", "instance without sha256", "bad orthanc id",
    "extra instance key", "wrong exportType", "wrong version", "preview error with previews",
    "non-integer size", "bad uid", "bad timestamp",
])
def test_schema_rejects_drift(scope, mutation):
    document = example(scope)
    instance = document["instances"][0]
    if mutation == "extra top-level key":
        document["extra"] = 1
    elif mutation == "missing instances":
        del document["instances"]
    elif mutation == "instance without sha256":
        del instance["sha256"]
    elif mutation == "bad orthanc id":
        instance["orthancInstanceId"] = "0123abcd0123abcd0123abcd0123abcd0123abcd"
    elif mutation == "extra instance key":
        instance["orthancId"] = "x"
    elif mutation == "wrong exportType":
        document["metadata"]["exportType"] = "everything"
    elif mutation == "wrong version":
        document["metadata"]["version"] = "2.0"
    elif mutation == "preview error with previews":
        instance["previewError"] = "cannot decode frame 0"
    elif mutation == "non-integer size":
        instance["size"] = "10"
    elif mutation == "bad uid":
        instance["sopInstanceUID"] = "1.2."
    elif mutation == "bad timestamp":
        document["metadata"]["exportedAt"] = "yesterday"
    with pytest.raises(jsonschema.ValidationError):
        validate_document(scope, document)


def test_shared_definitions_agree():
    """Each schema is self-contained (no cross-file $ref), so the shared definitions are
    written three times: they must not drift apart."""
    definitions = [load_schema(scope)["$defs"] for scope in SCOPES]
    for name in ("uid", "timestamp", "sha256", "patient", "study", "instance"):
        assert definitions[0][name] == definitions[1][name] == definitions[2][name], name
    for scope, defs in zip(SCOPES, definitions):
        export_type = defs["metadata"]["properties"]["exportType"]
        # The document of all also describes a batch job's (batch_data.json), a study's
        # also one series' export (the study layout holding that series alone).
        expected = {"all": ["all", "studies", "patients"], "study": ["study", "series"]}.get(scope, [scope])
        assert export_type.get("enum", [export_type.get("const")]) == expected
