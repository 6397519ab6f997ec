"""The series scope: a study's series list (GET /api/studies/:studyUID/series) and the
export of one series (GET /api/export/series/:seriesUID, its estimate, download link
and job): the study layout holding that series alone, another hospital's series 404,
every attempt audited with scope series."""

import io
import json

import pydicom
import pytest

from archive_checks import validate_document
from corpus import NORTH

EXPORT = "GET /api/export/series/:seriesUID"


def series_of(api, user, study_uid):
    return api.get_json(f"/api/studies/{study_uid}/series", user)["series"]


@pytest.fixture(scope="module")
def north_series(api):
    """(study, its series, one of them): a Northside study of several series and a series
    of it that Riverside does not hold."""
    river = set()
    for study in api.list_all("/api/studies", "studies", "river-user"):
        river |= {s["seriesInstanceUID"]
                  for s in series_of(api, "river-user", study["studyInstanceUID"])}
    for study in api.list_all("/api/studies", "studies", "north-user"):
        series = series_of(api, "north-user", study["studyInstanceUID"])
        if len(series) < 2:
            continue
        for one in series:
            if one["seriesInstanceUID"] not in river:
                return study, series, one
    pytest.fail("the corpus has no Northside-only series in a study of several")


def test_series_list_adds_up_to_the_study(api, north_series):
    study, series, _ = north_series
    detail = api.get_json(f"/api/studies/{study['studyInstanceUID']}", "north-user")
    assert len(series) == study["numberOfSeries"]
    assert sum(s["numberOfInstances"] for s in series) == study["numberOfInstances"]
    assert sum(s["totalBytes"] for s in series) == study["totalBytes"]
    for one in series:
        assert set(one) == {"seriesInstanceUID", "seriesNumber", "modality",
                            "seriesDescription", "numberOfInstances", "totalBytes"}
        mine = [i for i in detail["instances"]
                if i["seriesInstanceUID"] == one["seriesInstanceUID"]]
        assert one["numberOfInstances"] == len(mine)
        assert one["totalBytes"] == sum(i["size"] for i in mine)
    numbers = [s["seriesNumber"] for s in series]
    assert numbers == sorted(numbers, key=lambda n: (n is None, n or 0))


def test_series_export_holds_that_series_alone(api, checker, north_series):
    study, series, one = north_series
    uid = one["seriesInstanceUID"]
    response = api.export("series", uid, user="north-user")
    archive = checker.open_zip(response, f"series_{uid}")
    assert response.header("Content-Disposition") == \
        f'attachment; filename="series_{uid}_export.zip"'
    document = archive.json("study_data.json")
    validate_document("study", document)
    assert document["metadata"]["exportType"] == "series"
    assert document["study"]["studyInstanceUID"] == study["studyInstanceUID"]
    assert document["study"]["numberOfSeries"] == 1
    assert document["study"]["numberOfInstances"] == one["numberOfInstances"]
    assert document["study"]["totalBytes"] == one["totalBytes"]
    instances = document["instances"]
    assert len(instances) == one["numberOfInstances"] > 0
    assert {i["seriesInstanceUID"] for i in instances} == {uid}
    dicom = sorted(n for n in archive.names if n.startswith("dicom/"))
    assert dicom == sorted(f"dicom/{n}.dcm" for n in range(1, len(instances) + 1))
    for name in dicom:
        data = archive.zip.read(name)
        assert pydicom.dcmread(io.BytesIO(data)).SeriesInstanceUID == uid
    assert not [n for n in archive.names if "/" in n and n.split("/")[0] not in
                ("dicom", "previews")], "the study layout: no folders"
    archive.check_manifest()


def test_series_estimate_counts_that_series(api, north_series):
    _, _, one = north_series
    estimate = api.get_json(f"/api/export/estimate/series/{one['seriesInstanceUID']}",
                            "north-user")
    assert estimate["scope"] == "series"
    assert estimate["studies"] == 1
    assert estimate["instances"] == one["numberOfInstances"]
    assert estimate["dicomBytes"] == one["totalBytes"]


def test_another_hospitals_series_is_not_found(api, north_series):
    _, _, one = north_series
    uid = one["seriesInstanceUID"]
    assert api.export("series", uid, user="river-user").status == 404
    assert api.get(f"/api/export/estimate/series/{uid}", user="river-user").status == 404
    link = api.request("POST", f"/api/export/link/series/{uid}", token=api.token("river-user"))
    assert link.status == 404
    bad = api.export("series", "1.2.abc", user="north-user")
    assert bad.status == 400 and "seriesUID" in bad.body.decode()


def test_series_job(api, north_series):
    _, _, one = north_series
    uid = one["seriesInstanceUID"]
    body = {"scope": "series", "ids": [uid], "includeImages": True}
    refused = api.request("POST", "/api/export/jobs", token=api.token("river-user"),
                          body=json.dumps(body), content_type="application/json")
    assert refused.status == 404, refused.body
    created = api.request("POST", "/api/export/jobs", token=api.token("north-user"),
                          body=json.dumps(body), content_type="application/json")
    assert created.status == 202, created.body
    assert created.json()["scope"] == "series"


def test_series_exports_are_audited_with_scope_series(api, north_series):
    study, _, one = north_series
    uid = one["seriesInstanceUID"]
    north = api.get_json("/api/audit", "north-admin", {"limit": 200})["records"]
    ours = [r for r in north if r["endpoint"] == EXPORT and r["target"] == uid]
    assert ours and all(r["scope"] == "series" for r in ours)
    success = [r for r in ours if r["outcome"] == "success"]
    assert success, ours
    assert success[0]["targetLabel"].startswith("Series ")
    assert study["studyDescription"] in success[0]["targetLabel"]
    river = api.get_json("/api/audit", "river-admin", {"limit": 200})["records"]
    refused = [r for r in river if r["endpoint"] == EXPORT and r["target"] == uid]
    assert refused and all(r["outcome"] != "success" and r["scope"] == "series"
                           for r in refused)


def test_the_audit_filters_series_exports(api, north_series):
    uid = north_series[2]["seriesInstanceUID"]
    filtered = api.get_json("/api/audit", "north-admin",
                            {"scope": "series", "limit": 200})["records"]
    assert any(r["target"] == uid for r in filtered)
    assert all(r["scope"] == "series" for r in filtered)
