"""Patient IDs that are awkward as names: a slash, characters Windows refuses, leading
dots, non-ASCII, and two IDs that sanitize alike. They must be reachable through the
API, and every name derived from them (download names, ZIP folders) must be safe."""

import io
import os
import re
import subprocess

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
# Names that extract on Linux but not as themselves on Windows or macOS: device names,
# dots, a trailing dot, and two IDs that differ only by case.
NON_PORTABLE = {"device-name": "CON", "device-name-lower": "nul", "device-name-with-extension":
                "LPT1.txt", "device-name-dcm": "con.dcm", "three-dots": "...",
                "trailing-dot": "dot.", "lower-case": "ab", "upper-case": "AB"}
# "." and ".." cannot be sent as a path segment (clients resolve them), so they are only
# exported with everything.
DOT_SEGMENTS = [".", ".."]
ALL_IDS = AWKWARD_IDS + list(NON_PORTABLE.values()) + DOT_SEGMENTS


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
    for patient_id in ALL_IDS:
        data = instance_for(corpus, patient_id)
        corpus.register(data, directory)
        response = api.request("POST", "/api/instances", token=api.token("river-admin"), body=data,
                               content_type="application/dicom")
        assert response.status == 201, (patient_id, response.body)


def test_awkward_ids_are_listed_as_stored(api):
    listed = {p["patientID"] for p in api.list_all("/api/patients", "patients", "river-user")}
    assert set(ALL_IDS) <= listed


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


@pytest.mark.parametrize("patient_id", list(NON_PORTABLE.values()), ids=list(NON_PORTABLE))
def test_non_portable_id_exports_under_a_portable_folder(api, checker, patient_id):
    archive, document = checker.check_patient_export(
        api.export("patient", patient_id, user="river-user"), "river-user", RIVER, patient_id)
    assert document["patient"]["patientID"] == patient_id


def extract(tool, archive_path, directory):
    command = {"unzip": ["unzip", "-q", archive_path, "-d", directory],
               "7z": ["7z", "x", "-y", "-bd", f"-o{directory}", archive_path],
               "bsdtar": ["bsdtar", "-xf", archive_path, "-C", directory]}[tool]
    os.makedirs(directory, exist_ok=True)
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (tool, result.stdout[-2000:], result.stderr[-2000:])
    files = set()
    for root, _, names in os.walk(directory):
        files.update(os.path.relpath(os.path.join(root, n), directory) for n in names)
    return files


def test_export_all_gives_every_id_a_folder_that_extracts_everywhere(api, checker, tmp_path):
    """Device names are prefixed, dots renamed, IDs that differ only by case get their
    own folders; the metadata maps each real ID to its folder; unzip, 7z and bsdtar
    all extract every entry to where the metadata says."""
    response = api.export("all", user="river-admin", params={"includeImages": "true"})
    archive, document = checker.check_all_export(response, "river-admin", RIVER, with_images=True)
    folder_of = {p["patientID"]: p["folder"] for p in document["patients"]}
    assert set(ALL_IDS) <= set(folder_of)
    ours = {patient_id: folder_of[patient_id] for patient_id in ALL_IDS}
    assert len({f.casefold() for f in ours.values()}) == len(ours), ours
    assert ours["CON"] == "patients/_CON" and ours["nul"] == "patients/_nul"
    assert ours["LPT1.txt"] == "patients/_LPT1.txt" and ours["con.dcm"] == "patients/_con.dcm"
    assert ours["dot."] == "patients/dot"
    assert {ours["ab"], ours["AB"]} in ({"patients/ab", "patients/AB_2"},
                                        {"patients/AB", "patients/ab_2"})
    for patient_id in ["...", ".", ".."]:
        assert re.fullmatch(r"patients/unknown(_\d+)?", ours[patient_id]), ours
    study_folder = {s["studyInstanceUID"]: s["folder"] for s in document["studies"]}
    for instance in document["instances"]:
        if instance["patientID"] in ours:
            assert study_folder[instance["studyInstanceUID"]].startswith(
                ours[instance["patientID"]] + "/studies/")
            assert instance["file"].startswith(study_folder[instance["studyInstanceUID"]] + "/")
    entries = {n for n in archive.names}
    for tool in ("unzip", "7z", "bsdtar"):
        assert extract(tool, archive.path, str(tmp_path / tool)) == entries, tool
