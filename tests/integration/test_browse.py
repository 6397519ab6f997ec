"""The browse API: pagination, search, filters, and hospital isolation (another
hospital's patient or study answers 404, exactly like one that does not exist)."""

import re

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


def test_patient_search_matches_words_case_insensitively(api, catalog):
    named = [p for p in catalog[NORTH]["patients"] if len(p["patientName"]) >= 4]
    assert named
    target = named[0]
    term = target["patientName"][1:4].swapcase()
    found = api.list_all("/api/patients", "patients", "north-user", {"search": term})
    assert target in found
    words = [w.lower() for w in re.split(r"[\^=,\s]+", term) if w]
    for patient in found:
        text = (patient["patientID"] + "\n" + patient["patientName"]).lower()
        assert all(word in text for word in words), (term, patient)
    assert api.get_json("/api/patients", "north-user", {"search": "no such patient zz"}) == \
        {"patients": [], "total": 0, "offset": 0, "limit": 50}


# CT_small.dcm's patient, in both hospitals: CompressedSamples^CT1, Patient ID 1CT1.
@pytest.mark.parametrize("term", ["CompressedSamples^CT1", "CompressedSamples, CT1",
                                  "ct1 compressedsamples", "Compréssedsamples^ct1",
                                  "CT1,  COMPRESSEDSAMPLES"])
def test_names_are_found_as_displayed_in_any_order_without_case_or_accents(api, term):
    patients = api.list_all("/api/patients", "patients", "north-user", {"search": term})
    assert [p["patientID"] for p in patients] == ["1CT1"], term
    studies = api.list_all("/api/studies", "studies", "north-user", {"search": term})
    assert studies and {s["patientID"] for s in studies} == {"1CT1"}, term


def test_patients_and_studies_give_their_sizes(api, catalog):
    studies = catalog[NORTH]["studies"]
    for patient in catalog[NORTH]["patients"]:
        own = [s for s in studies if s["patientID"] == patient["patientID"]]
        assert patient["totalBytes"] == sum(s["totalBytes"] for s in own) > 0, patient


def test_studies_without_a_patient_id_are_no_patient(api, catalog):
    """Files without a Patient ID (type 2: present, possibly empty) belong to unrelated
    people: the patient list leaves them out, the studies list has them (patientID=),
    and no export takes them together as one patient."""
    assert all(p["patientID"] for p in catalog[NORTH]["patients"])
    unidentified = api.list_all("/api/studies", "studies", "north-user", {"patientID": ""})
    assert len(unidentified) >= 2
    assert unidentified == [s for s in catalog[NORTH]["studies"] if not s["patientID"]]
    for params in (None, {"format": "json"}):
        response = api.export("patient", "", user="north-user", params=params)
        assert response.status == 400 and response.error_code() == "invalid_input"
        assert "Patient ID is empty" in response.json()["error"]["message"], response.body[:300]
    response = api.get("/api/export/estimate/patient/", user="north-user")
    assert response.status == 400 and response.error_code() == "invalid_input"
    # Each study still exports on its own.
    response = api.export("study", unidentified[0]["studyInstanceUID"], user="north-user",
                          params={"format": "json"})
    assert response.status == 200, response.body[:300]


def test_study_date_range_accession_and_birth_date(api, catalog):
    studies = catalog[NORTH]["studies"]
    dated = sorted({s["studyDate"] for s in studies if re.fullmatch(r"\d{8}", s["studyDate"])})
    assert len(dated) >= 3
    low, high = dated[1], dated[-2]
    dash = lambda d: f"{d[:4]}-{d[4:6]}-{d[6:]}"  # noqa: E731
    found = api.list_all("/api/studies", "studies", "north-user",
                         {"studyDateFrom": dash(low), "studyDateTo": dash(high)})
    assert {s["studyInstanceUID"] for s in found} == \
        {s["studyInstanceUID"] for s in studies
         if re.fullmatch(r"\d{8}", s["studyDate"]) and low <= s["studyDate"] <= high}
    only_from = api.list_all("/api/studies", "studies", "north-user", {"studyDateFrom": dash(high)})
    assert only_from and all(s["studyDate"] >= high for s in only_from)

    target = next(s for s in studies if s["accessionNumber"])
    term = target["accessionNumber"][1:].lower()
    found = api.list_all("/api/studies", "studies", "north-user", {"accession": term})
    assert target in found
    assert all(term in s["accessionNumber"].lower() for s in found)

    patient = next(p for p in catalog[NORTH]["patients"] if len(p["birthDate"]) == 8)
    born = patient["birthDate"]
    found = api.list_all("/api/studies", "studies", "north-user", {"birthDate": dash(born)})
    born_ids = {p["patientID"] for p in catalog[NORTH]["patients"] if p["birthDate"] == born}
    assert found and {s["patientID"] for s in found} <= born_ids

    for params in ({"studyDateFrom": "2004-13-01"}, {"studyDateTo": "20040101"},
                   {"birthDate": "2004-02-30"}, {"studyDateFrom": "yesterday"},
                   {"studyDateFrom": "2005-01-01", "studyDateTo": "2004-01-01"},
                   {"hasAi": "maybe"}):
        response = api.get("/api/studies", user="north-user", params=params)
        assert response.status == 400 and response.error_code() == "invalid_input", params
        name = next(iter(params))
        assert name in response.json()["error"]["message"], (params, response.json())


def test_several_modalities_and_the_modality_facet(api, catalog):
    studies = catalog[NORTH]["studies"]
    facet = api.get_json("/api/studies/modalities", "north-user")
    expected = {}
    for study in studies:
        for modality in {m for m in study["modality"].split("\\") if m}:
            expected[modality] = expected.get(modality, 0) + 1
    assert facet == [{"modality": m, "studies": n} for m, n in sorted(expected.items())]
    two = [entry["modality"] for entry in facet[:2]]
    either = lambda s: bool(set(s["modality"].split("\\")) & set(two))  # noqa: E731
    wanted = {s["studyInstanceUID"] for s in studies if either(s)}
    found = api.list_all("/api/studies", "studies", "north-user", {"modality": ",".join(two)})
    assert {s["studyInstanceUID"] for s in found} == wanted
    river = api.get_json("/api/studies/modalities", "river-user")
    assert river != facet  # each hospital's own data


def test_every_sort_goes_both_ways_and_ties_break_by_newest_study(api, catalog):
    studies = catalog[NORTH]["studies"]
    newest_first = lambda s: (s["studyDate"], s["studyTime"])  # noqa: E731
    for column, field in (("patient", "patientName"), ("modality", "modality"),
                          ("description", "studyDescription")):
        for direction in ("", "-asc", "-desc"):
            listed = api.list_all("/api/studies", "studies", "north-user",
                                  {"sort": column + direction})
            keys = [s[field].lower() if field != "modality" else s[field] for s in listed]
            assert keys == sorted(keys, reverse=direction == "-desc"), column + direction
            # Within one value of the column, the newest study comes first.
            for a, b in zip(listed, listed[1:]):
                if a[field] == b[field] and a["patientID"] == b["patientID"]:
                    assert newest_first(a) >= newest_first(b), (column + direction, a, b)
    assert api.list_all("/api/studies", "studies", "north-user", {"sort": "patient"}) == \
        api.list_all("/api/studies", "studies", "north-user", {"sort": "patient-asc"})


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


# Last: it stores AI results, which the catalog above does not have.
def test_has_ai_filter(api, catalog):
    studies = catalog[RIVER]["studies"]
    target = studies[0]
    response = api.request("PUT", f"/api/studies/{target['studyInstanceUID']}/ai-analysis",
                           token=api.token("river-ai"), content_type="application/json",
                           body=b'{"analysis": {"summary": "ok"}, "models": ["m1"]}')
    assert response.status in (200, 204), response.body[:300]
    with_ai = api.list_all("/api/studies", "studies", "river-user", {"hasAi": "true"})
    assert target["studyInstanceUID"] in {s["studyInstanceUID"] for s in with_ai}
    assert all(s["aiAnalysis"] is not None for s in with_ai)
    without = api.list_all("/api/studies", "studies", "river-user", {"hasAi": "false"})
    assert all(s["aiAnalysis"] is None for s in without)
    assert len(with_ai) + len(without) == len(studies)
