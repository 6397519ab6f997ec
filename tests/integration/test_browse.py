"""The browse API: pagination, search, filters, and hospital isolation (another
hospital's patient or study answers 404, exactly like one that does not exist)."""

import pytest

from api_client import quote
from corpus import NORTH, RIVER

USERS = {NORTH: "north-user", RIVER: "river-user"}
UNKNOWN_UID = "1.2.826.0.1.3680043.999999.1"


@pytest.fixture(scope="module")
def catalog(api):
    """Every patient and study each hospital's user sees."""
    return {hospital: {"patients": api.list_all("/api/patients", "patients", user),
                       "studies": api.list_all("/api/studies", "studies", user)}
            for hospital, user in USERS.items()}


@pytest.mark.parametrize("path,key", [("/api/patients", "patients"), ("/api/studies", "studies")])
def test_lists_are_paginated(api, path, key):
    everything = api.get_json(path, "north-user", {"limit": 1000})
    assert everything["offset"] == 0 and everything["limit"] == 1000
    total = everything["total"]
    assert total == len(everything[key]) >= 3
    paged = []
    for offset in range(0, total + 3, 3):
        page = api.get_json(path, "north-user", {"offset": offset, "limit": 3})
        assert (page["total"], page["offset"], page["limit"]) == (total, offset, 3)
        assert len(page[key]) == max(0, min(3, total - offset))
        paged += page[key]
    assert paged == everything[key]
    if key == "patients":
        assert paged == sorted(paged, key=lambda p: (p["patientName"].lower(), p["patientID"]))
    default = api.get_json(path, "north-user")
    assert default["limit"] == 50 and default[key] == everything[key][:50]
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "ten"}):
        response = api.get(path, user="north-user", params=bad)
        assert response.status == 400 and response.error_code() == "invalid_input", bad


def test_patient_search_is_a_case_insensitive_substring(api, catalog):
    named = [p for p in catalog[NORTH]["patients"] if len(p["patientName"]) >= 4]
    assert named
    target = named[0]
    term = target["patientName"][1:4].swapcase()
    found = api.list_all("/api/patients", "patients", "north-user", {"search": term})
    assert target in found
    for patient in found:
        assert term.lower() in (patient["patientID"] + "\n" + patient["patientName"]).lower()
    assert api.get_json("/api/patients", "north-user", {"search": "no such patient zz"}) == \
        {"patients": [], "total": 0, "offset": 0, "limit": 50}


def test_study_filters_and_sorting(api, catalog):
    studies = catalog[NORTH]["studies"]
    target = next(s for s in studies if s["modality"])
    modality = target["modality"].split("\\")[0]
    filtered = api.list_all("/api/studies", "studies", "north-user", {"modality": modality})
    assert target in filtered
    assert all(modality in s["modality"].split("\\") for s in filtered)
    by_uid = api.list_all("/api/studies", "studies", "north-user",
                          {"search": target["studyInstanceUID"]})
    assert target in by_uid
    # Undated studies come last in both directions.
    dates = [s["studyDate"] for s in studies]
    dated, undated = sorted(d for d in dates if d), [d for d in dates if not d]
    assert dated and undated
    ascending = api.list_all("/api/studies", "studies", "north-user", {"sort": "date-asc"})
    assert [s["studyDate"] for s in ascending] == dated + undated
    descending = api.list_all("/api/studies", "studies", "north-user")
    assert [s["studyDate"] for s in descending] == dated[::-1] + undated
    response = api.get("/api/studies", user="north-user", params={"sort": "size"})
    assert response.status == 400 and response.error_code() == "invalid_input"


def test_patient_studies_match_the_study_list(api, catalog):
    for patient in catalog[NORTH]["patients"]:
        if not patient["patientID"]:
            continue
        pid = quote(patient["patientID"])
        assert api.get_json(f"/api/patients/{pid}", "north-user") == patient
        studies = api.list_all(f"/api/patients/{pid}/studies", "studies", "north-user")
        assert studies == api.list_all("/api/studies", "studies", "north-user",
                                       {"patientID": patient["patientID"]})
        assert len(studies) == patient["studyCount"]
        assert max(s["studyDate"] for s in studies) == patient["latestStudyDate"]


def test_study_detail_lists_its_instances(api, catalog, corpus):
    for hospital, user in USERS.items():
        allowed = corpus.sop_uids_of(hospital)
        for study in catalog[hospital]["studies"]:
            detail = api.get_json(f"/api/studies/{study['studyInstanceUID']}", user)
            instances = detail.pop("instances")
            assert detail == study
            assert len(instances) == study["numberOfInstances"] > 0
            assert len({i["seriesInstanceUID"] for i in instances}) == study["numberOfSeries"]
            assert sum(i["size"] for i in instances) == study["totalBytes"]
            # Only files seed-demo.sh gave to this hospital may show up.
            assert {i["sopInstanceUID"] for i in instances} <= allowed, (hospital, study)


def test_ids_in_both_hospitals_are_each_hospitals_own(api, catalog, corpus):
    shared_studies = ({s["studyInstanceUID"] for s in catalog[NORTH]["studies"]} &
                      {s["studyInstanceUID"] for s in catalog[RIVER]["studies"]})
    shared_patients = ({p["patientID"] for p in catalog[NORTH]["patients"]} &
                       {p["patientID"] for p in catalog[RIVER]["patients"]})
    for name in ("CT_small.dcm", "MR_small.dcm"):
        assert corpus.file(name).text("StudyInstanceUID") in shared_studies
        assert corpus.file(name).text("PatientID") in shared_patients
    for uid in shared_studies:
        views = {}
        for hospital, user in USERS.items():
            detail = api.get_json(f"/api/studies/{uid}", user)
            views[hospital] = {i["sopInstanceUID"] for i in detail["instances"]}
            assert len(views[hospital]) == detail["numberOfInstances"]
            assert views[hospital] <= corpus.sop_uids_of(hospital)
        # A study only partly given to each hospital shows each its own part.
        only_north = corpus.sop_uids_of(NORTH) - corpus.sop_uids_of(RIVER)
        assert not (views[RIVER] & only_north), uid


def assert_same_not_found(api, user, path, reference):
    response = api.get(path, user=user)
    assert response.status == 404, (user, path, response.status)
    assert response.json() == reference, (user, path)


@pytest.mark.parametrize("viewer,owner", [(NORTH, RIVER), (RIVER, NORTH)])
def test_other_hospitals_data_answers_404(api, catalog, viewer, owner):
    user = USERS[viewer]
    visible_patients = {p["patientID"] for p in catalog[viewer]["patients"]}
    visible_studies = {s["studyInstanceUID"] for s in catalog[viewer]["studies"]}
    missing_study = api.get(f"/api/studies/{UNKNOWN_UID}", user=user)
    assert missing_study.status == 404 and missing_study.error_code() == "not_found"
    missing_patient = api.get("/api/patients/NO-SUCH-PATIENT-ID", user=user)
    assert missing_patient.status == 404 and missing_patient.error_code() == "not_found"

    foreign_studies = [s["studyInstanceUID"] for s in catalog[owner]["studies"]
                       if s["studyInstanceUID"] not in visible_studies]
    foreign_patients = [p["patientID"] for p in catalog[owner]["patients"]
                        if p["patientID"] not in visible_patients and p["patientID"]]
    assert foreign_studies and foreign_patients
    for uid in foreign_studies:
        assert_same_not_found(api, user, f"/api/studies/{uid}", missing_study.json())
        response = api.export("study", uid, user=user)
        assert response.status == 404 and response.error_code() == "not_found"
        response = api.export("study", uid, user=user, params={"format": "json"})
        assert response.status == 404
    for pid in foreign_patients:
        assert_same_not_found(api, user, f"/api/patients/{quote(pid)}", missing_patient.json())
        assert api.get(f"/api/patients/{quote(pid)}/studies", user=user).status == 404
        response = api.export("patient", pid, user=user)
        assert response.status == 404 and response.error_code() == "not_found"
    for pid in visible_patients - {p["patientID"] for p in catalog[owner]["patients"]}:
        assert api.list_all("/api/studies", "studies", USERS[owner], {"patientID": pid}) == []
