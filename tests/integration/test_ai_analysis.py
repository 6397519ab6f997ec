"""PUT /api/studies/:studyUID/ai-analysis and the AI results in the exports."""

import io
import json
import time
import zipfile
from datetime import datetime, timezone

import pytest

from api_client import quote

ANALYSIS = {"findings": [{"label": "nodule", "probability": 0.91, "slice": 3}],
            "summary": "Läsion im rechten Oberlappen", "scores": {"malignancy": 0.27}}
MODELS = ["lung-nodule-detector-2.1", "malignancy-scorer-0.9"]


def put_analysis(api, user, uid, body, content_type="application/json"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api.request("PUT", f"/api/studies/{uid}/ai-analysis", token=api.token(user), body=data,
                       content_type=content_type)


def seconds(timestamp):
    return datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


@pytest.fixture(scope="module")
def analysed(api, corpus):
    """CT_small's study, which both hospitals hold, analysed in Northside only."""
    uid = corpus.file("CT_small.dcm").text("StudyInstanceUID")
    before = time.time()
    response = put_analysis(api, "north-ai", uid, {"analysis": ANALYSIS, "models": MODELS})
    after = time.time()
    assert response.status == 200, response.body
    study = response.json()
    assert study["aiAnalysis"] == ANALYSIS and study["aiModels"] == MODELS
    assert before - 1 <= seconds(study["aiAnalyzedAt"]) <= after + 1
    return study


def test_study_shows_the_analysis(api, analysed):
    detail = api.get_json(f"/api/studies/{analysed['studyInstanceUID']}", "north-user")
    for key in ("aiAnalysis", "aiModels", "aiAnalyzedAt"):
        assert detail[key] == analysed[key]


def test_other_hospital_copy_of_the_study_is_untouched(api, analysed):
    detail = api.get_json(f"/api/studies/{analysed['studyInstanceUID']}", "river-user")
    assert (detail["aiAnalysis"], detail["aiModels"], detail["aiAnalyzedAt"]) == (None, [], None)


def test_exports_carry_the_analysis(api, analysed):
    uid = analysed["studyInstanceUID"]
    as_json = api.export("study", uid, user="north-user", params={"format": "json"}).json()
    zipped = api.export("study", uid, user="north-user")
    in_zip = json.loads(zipfile.ZipFile(io.BytesIO(zipped.body)).read("study_data.json"))
    patient = api.export("patient", analysed["patientID"], user="north-user",
                         params={"format": "json"}).json()
    patient_study = next(s for s in patient["studies"] if s["studyInstanceUID"] == uid)
    for study in (as_json["study"], in_zip["study"], patient_study):
        assert study["aiAnalysis"] == ANALYSIS
        assert study["aiModels"] == MODELS
        assert study["aiAnalyzedAt"] == analysed["aiAnalyzedAt"]


def test_an_admin_may_store_results_and_a_user_may_not(api, corpus, analysed):
    uid = corpus.file("MR_small.dcm").text("StudyInstanceUID")
    response = put_analysis(api, "river-admin", uid, {"analysis": {"ok": True}})
    assert response.status == 200 and response.json()["aiModels"] == []
    response = put_analysis(api, "north-user", analysed["studyInstanceUID"],
                            {"analysis": {"tampered": True}, "models": ["x"]})
    assert response.status == 403 and response.error_code() == "forbidden"


def test_other_hospitals_study_answers_404(api):
    north = {s["studyInstanceUID"] for s in api.list_all("/api/studies", "studies", "north-user")}
    river_only = [s["studyInstanceUID"] for s in api.list_all("/api/studies", "studies", "river-user")
                  if s["studyInstanceUID"] not in north]
    response = put_analysis(api, "north-ai", river_only[0], {"analysis": {"x": 1}})
    assert response.status == 404 and response.error_code() == "not_found"
    detail = api.get_json(f"/api/studies/{quote(river_only[0])}", "river-user")
    assert detail["aiAnalysis"] is None


@pytest.mark.parametrize("body,content_type,status", [
    ({"analysis": []}, "application/json", 400),
    ({"analysis": "positive"}, "application/json", 400),
    ({"analysis": None}, "application/json", 400),
    ({"models": ["m"]}, "application/json", 400),
    ({"analysis": {}, "models": "m"}, "application/json", 400),
    ({"analysis": {}, "models": [""]}, "application/json", 400),
    ({"analysis": {}, "models": [1]}, "application/json", 400),
    ([{"analysis": {}}], "application/json", 400),
    (b"{not json", "application/json", 400),
    (b"", "application/json", 400),
    ({"analysis": {}}, "text/plain", 415),
    ({"analysis": {}}, "application/x-www-form-urlencoded", 415),
])
def test_bad_bodies_are_refused_and_change_nothing(api, analysed, body, content_type, status):
    uid = analysed["studyInstanceUID"]
    response = put_analysis(api, "north-ai", uid, body, content_type)
    assert response.status == status, (body, content_type, response.body)
    assert response.error_code() == {400: "invalid_input", 415: "unsupported_media_type"}[status]
    detail = api.get_json(f"/api/studies/{uid}", "north-user")
    assert (detail["aiAnalysis"], detail["aiModels"], detail["aiAnalyzedAt"]) == \
        (analysed["aiAnalysis"], analysed["aiModels"], analysed["aiAnalyzedAt"])


@pytest.mark.parametrize("uid", ["1.2.", "abc"])
def test_invalid_uid_is_400(api, uid):
    response = put_analysis(api, "north-ai", uid, {"analysis": {}})
    assert response.status == 400 and response.error_code() == "invalid_input"
