"""The export dialog's server side: estimates, single-use download links and study
thumbnails, over real HTTP against the seeded demo server; and the browser UI's files
served at "/" with the single-page app's fallback."""

import io
import json
import os
import struct
import subprocess
import time
import zipfile

from api_client import quote
from server_process import run_cli
from test_serve_config import make_data_dir, start, stop


def study_with_most_instances(api, user):
    studies = api.list_all("/api/studies", "studies", user)
    return max(studies, key=lambda s: (s["numberOfInstances"], s["studyInstanceUID"]))


def estimate(api, user, path, params=None):
    response = api.get("/api/export/estimate/" + path, user=user, params=params)
    assert response.status == 200, (response.status, response.body[:300])
    return response.json()


def new_link(api, user, path, params=""):
    response = api.request("POST", f"/api/export/link/{path}{params}", token=api.token(user))
    assert response.status == 201, (response.status, response.body[:300])
    document = response.json()
    assert document["url"].startswith("/api/downloads/")
    return document


def audit_of(api, endpoint):
    records = api.get_json("/api/audit", "north-admin", {"limit": 20})["records"]
    return [r for r in records if r["endpoint"] == endpoint]


def test_estimate_counts_what_the_export_holds(api):
    study = study_with_most_instances(api, "north-user")
    uid = study["studyInstanceUID"]
    detail = api.get_json(f"/api/studies/{uid}", "north-user")
    numbers = estimate(api, "north-user", f"study/{uid}")
    assert numbers["scope"] == "study" and numbers["target"] == uid
    assert numbers["studies"] == 1
    assert numbers["instances"] == len(detail["instances"]) == study["numberOfInstances"]
    assert numbers["dicomBytes"] == sum(i["size"] for i in detail["instances"])
    assert numbers["frames"] == sum(i["numberOfFrames"] for i in detail["instances"])

    # JSON only: the estimate is the document's size, summed in the index (within 5 %).
    json_numbers = estimate(api, "north-user", f"study/{uid}", {"format": "json"})
    document = api.export("study", uid, user="north-user", params={"format": "json"})
    assert document.status == 200
    assert abs(json_numbers["estimatedBytes"] - len(document.body)) <= 0.05 * len(document.body)
    assert json_numbers["includeImages"] is False

    # Without previews the estimate comes within 15 % of the archive (issue 13; see
    # test_export_estimates.py).
    zip_numbers = estimate(api, "north-user", f"study/{uid}", {"previews": "false"})
    archive = api.export("study", uid, user="north-user", params={"previews": "false"})
    assert archive.status == 200 and archive.complete
    assert abs(zip_numbers["estimatedBytes"] - len(archive.body)) <= 0.15 * len(archive.body)


def test_estimates_are_scoped_like_exports(api):
    river_study = study_with_most_instances(api, "river-user")["studyInstanceUID"]
    north_uids = {s["studyInstanceUID"] for s in api.list_all("/api/studies", "studies", "north-user")}
    if river_study not in north_uids:
        assert api.get(f"/api/export/estimate/study/{river_study}", user="north-user").status == 404
    assert api.get("/api/export/estimate/all", user="north-user").status == 403
    everything = estimate(api, "north-admin", "all")
    studies = api.list_all("/api/studies", "studies", "north-admin")
    assert everything["studies"] == len(studies)
    assert api.get("/api/export/estimate/study/1.2.3").status == 401


def test_a_link_works_once_for_the_export_it_was_made_for(api, data_dir):
    uid = study_with_most_instances(api, "north-user")["studyInstanceUID"]
    link = new_link(api, "north-user", f"study/{uid}", "?previews=false")
    response = api.request("GET", link["url"])  # no Authorization header: the link is enough
    assert response.status == 200 and response.complete, (response.status, response.body[:200])
    assert response.header("Content-Disposition").startswith("attachment")
    with zipfile.ZipFile(io.BytesIO(response.body)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
    direct = api.export("study", uid, user="north-user", params={"previews": "false"})
    with zipfile.ZipFile(io.BytesIO(direct.body)) as archive:
        assert names == archive.namelist()
    assert not any(name.endswith(".png") for name in names)

    again = api.request("GET", link["url"])
    assert again.status == 404 and again.json()["error"]["code"] == "not_found"
    (record,) = [r for r in audit_of(api, "GET /api/downloads/:token")
                 if r["outcome"] == "success"][:1]
    assert record["username"] == "north-user"
    assert record["target"] == uid and record["bytesSent"] == len(response.body)
    # The refused second use is recorded under the link's user and hospital, so the
    # hospital's own audit page shows it.
    refused = [r for r in audit_of(api, "GET /api/downloads/:token") if r["outcome"] == "denied"]
    assert refused and refused[0]["username"] == "north-user"
    assert refused[0]["hospital"] == record["hospital"] != ""
    # It names what the link was for, readably, and is found by the study it was for.
    assert refused[0]["targetLabel"] == record["targetLabel"] != ""
    by_study = api.get_json("/api/audit", "north-admin", {"studyUid": uid, "outcome": "denied"})
    assert refused[0]["id"] in [r["id"] for r in by_study["records"]]
    assert refused[0]["target"] == uid and "used or expired" in refused[0]["detail"]
    listed = run_cli("audit", "--data", data_dir, "--limit", "5")
    assert any(json.loads(line)["id"] == refused[0]["id"] for line in listed.stdout.splitlines())


def test_a_links_status_tells_its_user_how_the_download_ended(api):
    uid = study_with_most_instances(api, "north-user")["studyInstanceUID"]
    link = new_link(api, "north-user", f"study/{uid}", "?includeImages=false")
    assert link["statusUrl"] == link["url"].replace("/api/downloads/", "/api/export/link-status/")
    assert api.get_json(link["statusUrl"], "north-user") == {"state": "pending"}
    # Only the link's user may ask: another user, another hospital, no token, a wrong token.
    for user in ("north-admin", "river-user"):
        assert api.get(link["statusUrl"], user=user).status == 404
    assert api.request("GET", link["statusUrl"]).status == 401
    assert api.get(link["statusUrl"] + "x", user="north-user").status == 404

    assert api.request("GET", link["url"]).status == 200
    assert api.get_json(link["statusUrl"], "north-user") == {"state": "completed"}
    # A refused second use leaves the first use's outcome as it was.
    assert api.request("GET", link["url"]).status == 404
    assert api.get_json(link["statusUrl"], "north-user") == {"state": "completed"}


def test_a_used_link_opened_by_a_browser_gets_a_page(api):
    uid = study_with_most_instances(api, "north-user")["studyInstanceUID"]
    link = new_link(api, "north-user", f"study/{uid}", "?includeImages=false")
    assert api.request("GET", link["url"]).status == 200
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    for url in (link["url"], "/api/downloads/" + "B" * 43):
        page = api.request("GET", url, headers=browser)
        assert page.status == 404, page.status
        assert page.header("Content-Type").startswith("text/html")
        assert "already used or has expired" in page.body.decode()
        assert "Export again from pacsport" in page.body.decode()
    # API clients keep JSON.
    again = api.request("GET", link["url"])
    assert again.status == 404 and again.json()["error"]["code"] == "not_found"


def test_links_refuse_other_hospitals_and_unknown_tokens(api):
    river = {s["studyInstanceUID"] for s in api.list_all("/api/studies", "studies", "river-user")}
    north = {s["studyInstanceUID"] for s in api.list_all("/api/studies", "studies", "north-user")}
    only_river = sorted(river - north)
    assert only_river, "the demo data should hold studies of Riverside only"
    refused = api.request("POST", f"/api/export/link/study/{only_river[0]}",
                          token=api.token("north-user"))
    assert refused.status == 404
    assert api.request("POST", "/api/export/link/all", token=api.token("north-user")).status == 403
    assert api.request("POST", f"/api/export/link/study/{only_river[0]}").status == 401
    assert api.request("GET", "/api/downloads/" + "A" * 43).status == 404
    assert api.request("GET", "/api/downloads/not%20a%20token").status == 404


def test_a_link_expires(tmp_path):
    data = make_data_dir(tmp_path)
    process, base = start(data, tmp_path / "log", "--demo",
                          env={"PACSPORT_DOWNLOAD_LINK_SECONDS": "1"})
    try:
        from api_client import Api
        api = Api(base)
        api.tokens["admin"] = api.login("admin", "admin-pass").json()["token"]
        uid = api.get_json("/api/studies", "admin")["studies"][0]["studyInstanceUID"]
        link = new_link(api, "admin", f"study/{uid}")
        time.sleep(1.5)
        assert api.get_json(link["statusUrl"], "admin") == {"state": "expired"}
        assert api.request("GET", link["url"]).status == 404
        # The refused use is audited under the link's user and hospital.
        (refused,) = [r for r in api.get_json("/api/audit", "admin", {"limit": 1})["records"]]
        assert refused["outcome"] == "denied" and refused["username"] == "admin"
        assert refused["target"] == uid and refused["scope"] == "study"
        fresh = new_link(api, "admin", f"study/{uid}")
        assert api.request("GET", fresh["url"]).status == 200
    finally:
        stop(process)


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_thumbnails_are_small_pngs_of_the_first_image(api, tmp_path):
    shown = 0
    for study in api.list_all("/api/studies", "studies", "north-user"):
        uid = study["studyInstanceUID"]
        frames = sum(i["numberOfFrames"] for i in
                     api.get_json(f"/api/studies/{uid}", "north-user")["instances"])
        response = api.get(f"/api/studies/{uid}/thumbnail", user="north-user")
        # No image, or none that renders (unsupported or broken on purpose): 204, no body,
        # so that a browser asking for it logs no failed request.
        if frames == 0:
            assert response.status == 204 and response.body == b"", uid
            continue
        assert response.status in (200, 204), (uid, response.status)
        if response.status == 204:
            continue
        shown += 1
        assert response.header("Content-Type") == "image/png"
        width, height = png_size(response.body)
        assert 0 < max(width, height) <= 128
        path = tmp_path / f"{shown}.png"
        path.write_bytes(response.body)
        assert subprocess.run(["pngcheck", "-q", str(path)]).returncode == 0
    assert shown >= 5
    some_uid = api.list_all("/api/studies", "studies", "north-user")[0]["studyInstanceUID"]
    assert api.get(f"/api/studies/{some_uid}/thumbnail").status == 401
    river_only = ({s["studyInstanceUID"] for s in api.list_all("/api/studies", "studies", "river-user")}
                  - {s["studyInstanceUID"] for s in api.list_all("/api/studies", "studies", "north-user")})
    assert api.get(f"/api/studies/{sorted(river_only)[0]}/thumbnail", user="north-user").status == 404


def test_a_thumbnail_renders_larger_on_request_up_to_512_pixels(api):
    sides = []
    for study in api.list_all("/api/studies", "studies", "north-user"):
        uid = study["studyInstanceUID"]
        response = api.get(f"/api/studies/{uid}/thumbnail?size=512", user="north-user")
        if response.status == 200:
            sides.append(max(png_size(response.body)))
    assert sides and max(sides) > 128 and all(side <= 512 for side in sides), sides
    uid = api.list_all("/api/studies", "studies", "north-user")[0]["studyInstanceUID"]
    for size in ("513", "15", "big"):
        response = api.get(f"/api/studies/{uid}/thumbnail?size={size}", user="north-user")
        assert response.status == 400, (size, response.status)
        assert response.error_code() == "invalid_input" and b"size must be" in response.body, response.body


def test_the_browser_ui_is_served_with_the_app_fallback(tmp_path):
    web = tmp_path / "web"
    (web / "assets").mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><title>pacsport</title><div id=root></div>")
    (web / "assets" / "app.js").write_text("console.log('app')")
    data = make_data_dir(tmp_path)
    process, base = start(data, tmp_path / "log", "--demo", env={"PACSPORT_WEB_ROOT": str(web)})
    try:
        from api_client import Api
        api = Api(base)
        for path in ("/", "/patients", "/studies/1.2.3"):
            page = api.request("GET", path)
            assert page.status == 200 and b"<div id=root>" in page.body, path
            assert page.header("Content-Type").startswith("text/html")
        script = api.request("GET", "/assets/app.js")
        assert script.status == 200 and script.body == b"console.log('app')"
        missing = api.request("GET", "/api/no-such-route")
        assert missing.status == 404 and missing.json()["error"]["code"] == "not_found"
    finally:
        stop(process)
