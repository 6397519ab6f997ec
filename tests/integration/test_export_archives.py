"""Every study and every patient of both hospitals, exported with images and previews
and checked entry by entry (archive_checks.py)."""

import pytest

from corpus import NORTH, RIVER

USERS = {NORTH: "north-user", RIVER: "river-user"}


@pytest.mark.parametrize("hospital", [NORTH, RIVER])
def test_every_study_export(api, checker, hospital):
    user = USERS[hospital]
    studies = api.list_all("/api/studies", "studies", user)
    assert studies
    previews = errors = 0
    for study in studies:
        uid = study["studyInstanceUID"]
        _, document = checker.check_study_export(api.export("study", uid, user=user), user,
                                                 hospital, uid)
        previews += sum(len(i["previews"]) for i in document["instances"])
        errors += sum("previewError" in i for i in document["instances"])
    # The corpus has renderable images and objects without pixel data.
    assert previews > 0 and errors > 0


@pytest.mark.parametrize("hospital", [NORTH, RIVER])
def test_every_patient_export(api, checker, hospital):
    user = USERS[hospital]
    patients = api.list_all("/api/patients", "patients", user)
    assert patients
    # Files without a Patient ID (a type 2 attribute: present but possibly empty) are no
    # patient's: not listed, and not exported as one (test_browse.py).
    assert all(p["patientID"] for p in patients)
    for patient in patients:
        checker.check_patient_export(api.export("patient", patient["patientID"], user=user),
                                     user, hospital, patient["patientID"])
