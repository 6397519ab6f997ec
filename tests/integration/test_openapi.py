"""docs/openapi.json describes the real server (issue 18): it is a valid OpenAPI 3.1
document (by @seriousme/openapi-schema-validator from web/node_modules), the server
serves it byte for byte, the routes the server registers under /api are exactly the
documented operations, and real answers of every operation (a success, 400, 401 when it
needs a token, 404 when it names a resource, and others where they matter) match the
documented status, content type, headers and JSON schema."""

import json
import os
import subprocess
import time

import pytest

from openapi_document import (DOCS, DOCUMENT_PATH, DocumentedApi, load_document, operations,
                              route_of)
from server_process import REPO, Server

WEB = os.path.join(REPO, "web")
# Validates the document argv[1], whose "schemas/NAME" references are the files of argv[2].
VALIDATE = """
import { Validator } from "@seriousme/openapi-schema-validator";
import { readdirSync } from "node:fs";
import { join } from "node:path";
const [document, schemas] = process.argv.slice(1);
const validator = new Validator();
for (const name of readdirSync(schemas)) {
  await validator.addSpecRef(join(schemas, name), "schemas/" + name);
}
const result = await validator.validate(document);
console.log(JSON.stringify({ version: validator.version, ...result }));
process.exit(result.valid ? 0 : 1);
"""
JSON = "application/json"
# One loopback address per anonymous probe, so that the probes of every route stay
# within the per-address budget of requests without a token.
_anonymous_addresses = iter(f"127.0.{n // 250}.{n % 250 + 2}" for n in range(10_000))


@pytest.fixture(scope="module")
def document():
    return load_document()


@pytest.fixture(scope="module")
def documented(api, document):
    return DocumentedApi(api, document)


@pytest.fixture(scope="module")
def ct_small(corpus):
    return next(f for f in corpus.files if f.path.endswith("/CT_small.dcm"))


@pytest.fixture(scope="module")
def ids(ct_small):
    """The patient, study and series of CT_small, which every hospital holds."""
    return {"patientID": ct_small.text("PatientID"), "studyUID": ct_small.text("StudyInstanceUID"),
            "seriesUID": ct_small.text("SeriesInstanceUID")}


def validate(document_path):
    assert os.path.isdir(os.path.join(WEB, "node_modules", "@seriousme")), (
        "web/node_modules lacks the validator: run `npm ci` in web/ (scripts/build-web.sh does)")
    return subprocess.run(["node", "--input-type=module", "-e", VALIDATE, str(document_path),
                           os.path.join(DOCS, "schemas")],
                          cwd=WEB, capture_output=True, text=True, timeout=60)


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1.")
    result = validate(DOCUMENT_PATH)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["version"] == "3.1"


def test_a_broken_document_fails_the_validator(tmp_path, document):
    """The validator is not a rubber stamp: a response without its description fails."""
    broken = json.loads(json.dumps(document))
    del broken["paths"]["/api/health"]["get"]["responses"]["200"]["description"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    result = validate(path)
    assert result.returncode == 1, result.stdout + result.stderr


def test_the_server_serves_the_document_and_its_schemas_byte_for_byte(api, documented):
    response = documented.call("GET", "/api/openapi.json", 200)
    with open(DOCUMENT_PATH, "rb") as f:
        assert response.body == f.read()
    for name in sorted(os.listdir(os.path.join(DOCS, "schemas"))):
        response = documented.call("GET", "/api/schemas/{name}", 200, {"name": name})
        with open(os.path.join(DOCS, "schemas", name), "rb") as f:
            assert response.body == f.read()
    documented.call("GET", "/api/schemas/{name}", 404, {"name": "none.schema.json"})


def test_the_server_registers_exactly_the_documented_api_routes(tmp_path, monkeypatch, document):
    """The router logs each route it registers at debug level; every one under /api is
    documented and every documented operation is registered."""
    monkeypatch.setenv("PACSPORT_LOG_LEVEL", "debug")
    (tmp_path / "data").mkdir()
    server = Server(str(tmp_path / "data"), str(tmp_path))
    try:
        log = server.log()
    finally:
        assert server.stop() == 0
    registered = set()
    for line in log.splitlines():
        if "event=route " in line:
            method, label = line.split('route="', 1)[1].rstrip('"').split(" ", 1)
            registered.add(f"{method} {route_of(label)}")
    api_routes = {r for r in registered if r.split(" ", 1)[1].startswith("/api/")}
    assert len(api_routes) > 40, registered
    documented = operations(document)
    assert api_routes - documented == set(), "registered but not documented"
    assert documented - api_routes == set(), "documented but not registered"


def test_health_and_login(documented):
    documented.call("GET", "/api/health", 200)
    login = json.dumps({"username": "north-user", "password": "north-user-pass"})
    documented.call("POST", "/api/auth/login", 200, body=login, content_type=JSON)
    # From an address of its own: failed logins count against their address too.
    documented.call("POST", "/api/auth/login", 401, content_type=JSON,
                    body=json.dumps({"username": "openapi-nobody", "password": "wrong"}),
                    source_address=(next(_anonymous_addresses), 0))
    documented.call("POST", "/api/auth/login", 400, body=json.dumps({"username": 1}),
                    content_type=JSON)


def test_browse(documented, ids):
    patient, study = {"patientID": ids["patientID"]}, {"studyUID": ids["studyUID"]}
    documented.call("GET", "/api/patients", 200, query={"search": "a", "limit": 5},
                    user="north-user")
    documented.call("GET", "/api/patients", 400, query={"limit": 0}, user="north-user")
    documented.call("GET", "/api/patients/{patientID}", 200, patient, user="north-user")
    documented.call("GET", "/api/patients/{patientID}", 404, {"patientID": "no-such-patient"},
                    user="north-user")
    documented.call("GET", "/api/patients/{patientID}/studies", 200, patient, user="north-user")
    documented.call("GET", "/api/patients/{patientID}/studies", 404,
                    {"patientID": "no-such-patient"}, user="north-user")
    documented.call("GET", "/api/studies", 200, user="north-user",
                    query={"modality": "CT,MR", "sort": "patient", "hasAi": "false"})
    documented.call("GET", "/api/studies", 400, query={"studyDateFrom": "yesterday"},
                    user="north-user")
    documented.call("GET", "/api/studies/modalities", 200, user="north-user")
    documented.call("GET", "/api/studies/{studyUID}", 200, study, user="north-user")
    documented.call("GET", "/api/studies/{studyUID}", 404, {"studyUID": "1.2.3.4"},
                    user="north-user")
    documented.call("GET", "/api/studies/{studyUID}/series", 200, study, user="north-user")
    documented.call("GET", "/api/studies/{studyUID}/series", 404, {"studyUID": "1.2.3.4"},
                    user="north-user")
    documented.call("GET", "/api/studies/{studyUID}/thumbnail", 200, study,
                    query={"size": 64}, user="north-user")
    documented.call("GET", "/api/studies/{studyUID}/thumbnail", 400, study,
                    query={"size": 5}, user="north-user")
    documented.call("GET", "/api/studies/{studyUID}/thumbnail", 404, {"studyUID": "1.2.3.4"},
                    user="north-user")


def test_ingest_and_ai_analysis(documented, ct_small, ids):
    dicom = "application/dicom"
    documented.call("POST", "/api/instances", 200, body=ct_small.data, content_type=dicom,
                    user="north-admin")
    documented.call("POST", "/api/instances", 400, body=b"not DICOM" * 20, content_type=dicom,
                    user="north-admin")
    documented.call("POST", "/api/instances", 403, body=ct_small.data, content_type=dicom,
                    user="north-user")
    template = "/api/studies/{studyUID}/ai-analysis"
    analysis = json.dumps({"analysis": {"finding": "none"}, "models": ["openapi-check"]})
    documented.call("PUT", template, 200, {"studyUID": ids["studyUID"]}, body=analysis,
                    content_type=JSON, user="north-ai")
    documented.call("PUT", template, 400, {"studyUID": ids["studyUID"]},
                    body=json.dumps({"models": "x"}), content_type=JSON, user="north-ai")
    documented.call("PUT", template, 404, {"studyUID": "1.2.3.4"}, body=analysis,
                    content_type=JSON, user="north-ai")


SCOPES = [("patient", "{patientID}", "patientID"), ("study", "{studyUID}", "studyUID"),
          ("series", "{seriesUID}", "seriesUID"), ("all", "", None)]


def scope_routes(prefix, ids):
    """(template, path parameters) of each export scope under `prefix`."""
    for scope, parameter, key in SCOPES:
        template = f"{prefix}/{scope}" + (f"/{parameter}" if parameter else "")
        yield template, ({key: ids[key]} if key else {}), ({key: "1.2.3.4"} if key else None)


def test_exports(documented, ids):
    for template, params, unknown in scope_routes("/api/export", ids):
        documented.call("GET", template, 200, params, query={"format": "json"},
                        user="north-admin")
        documented.call("GET", template, 400, params, query={"format": "tar"}, user="north-admin")
        if unknown:
            documented.call("GET", template, 404, unknown, user="north-admin")
    documented.call("GET", "/api/export/study/{studyUID}", 200, {"studyUID": ids["studyUID"]},
                    user="north-user")
    documented.call("GET", "/api/export/series/{seriesUID}", 200, {"seriesUID": ids["seriesUID"]},
                    query={"includeImages": "false"}, user="north-user")
    documented.call("GET", "/api/export/patient/{patientID}", 200, {"patientID": ids["patientID"]},
                    query={"format": "media", "includeImages": "true"}, user="north-user")
    documented.call("GET", "/api/export/all", 403, user="north-user")


def test_estimates_links_and_downloads(documented, ids):
    for template, params, unknown in scope_routes("/api/export/estimate", ids):
        documented.call("GET", template, 200, params, user="north-admin")
        documented.call("GET", template, 400, params, query={"compression": 11},
                        user="north-admin")
        if unknown:
            documented.call("GET", template, 404, unknown, user="north-admin")
    links = []
    for template, params, unknown in scope_routes("/api/export/link", ids):
        links.append(documented.call("POST", template, 201, params, query={"format": "json"},
                                     user="north-admin").json())
        documented.call("POST", template, 400, params, query={"format": "tar"},
                        user="north-admin")
        if unknown:
            documented.call("POST", template, 404, unknown, user="north-admin")
    token = links[1]["url"].rsplit("/", 1)[1]
    status = "/api/export/link-status/{token}"
    documented.call("GET", status, 200, {"token": token}, user="north-admin")
    documented.call("GET", "/api/downloads/{token}", 200, {"token": token})
    documented.call("GET", status, 200, {"token": token}, user="north-admin")
    documented.call("GET", status, 404, {"token": "unknown"}, user="north-admin")
    documented.call("GET", "/api/downloads/{token}", 404, {"token": token})
    documented.call("GET", "/api/downloads/{token}", 404, {"token": token},
                    headers={"Accept": "text/html"})
    zipped = documented.call("POST", "/api/export/link/study/{studyUID}", 201,
                             {"studyUID": ids["studyUID"]}, user="north-user").json()
    documented.call("GET", "/api/downloads/{token}", 200,
                    {"token": zipped["url"].rsplit("/", 1)[1]})


def test_audit(documented, api):
    record = api.get_json("/api/audit", "north-admin", {"limit": 1})["records"][0]
    one = {"id": str(record["id"])}
    documented.call("GET", "/api/audit", 200, query={"outcome": "success", "limit": 5},
                    user="north-admin")
    documented.call("GET", "/api/audit", 400, query={"since": "someday"}, user="north-admin")
    documented.call("GET", "/api/audit", 403, user="north-user")
    documented.call("GET", "/api/audit/{id}", 200, one, user="north-admin")
    documented.call("GET", "/api/audit/{id}", 404, {"id": "999999999"}, user="north-admin")
    documented.call("GET", "/api/audit/{id}/studies", 200, one, user="north-admin")
    documented.call("GET", "/api/audit/{id}/studies", 404, {"id": "999999999"},
                    user="north-admin")
    for format in ("csv", "jsonl"):
        documented.call("GET", "/api/audit/export", 200, query={"format": format, "user": "north-user"},
                        user="north-admin")
    documented.call("GET", "/api/audit/export", 400, query={"format": "xml"}, user="north-admin")
    documented.call("GET", "/api/audit/public-key", 200)


def wait_for_job(api, job_id, user, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        job = api.get_json(f"/api/export/jobs/{job_id}", user)
        if job["state"] in ("done", "failed", "cancelled") or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def test_jobs(documented, api, ids):
    base, one = "/api/export/jobs", "/api/export/jobs/{id}"
    request = json.dumps({"scope": "study", "ids": [ids["studyUID"]], "includeImages": True})
    job = documented.call("POST", base, 202, body=request, content_type=JSON,
                          user="north-user").json()
    documented.call("POST", base, 400, body=json.dumps({"scope": "galaxy"}), content_type=JSON,
                    user="north-user")
    documented.call("POST", base, 404, body=json.dumps({"scope": "study", "ids": ["1.2.3.4"]}),
                    content_type=JSON, user="north-user")
    assert wait_for_job(api, job["id"], "north-user")["state"] == "done"
    path = {"id": job["id"]}
    documented.call("GET", base, 200, query={"limit": 5}, user="north-user")
    documented.call("GET", one, 200, path, user="north-user")
    documented.call("GET", one, 404, {"id": "no-such-job"}, user="north-user")
    documented.call("GET", one + "/events", 200, path, user="north-user")
    documented.call("GET", one + "/events", 404, {"id": "no-such-job"}, user="north-user")
    documented.call("GET", one + "/archive", 200, path, user="north-user")
    documented.call("GET", one + "/archive", 206, path, headers={"Range": "bytes=0-9"},
                    user="north-user")
    documented.call("GET", one + "/archive", 416, path, headers={"Range": "bytes=999999999-"},
                    user="north-user")
    documented.call("GET", one + "/archive", 404, {"id": "no-such-job"}, user="north-user")
    documented.call("POST", one + "/link", 201, path, user="north-user")
    documented.call("POST", one + "/link", 404, {"id": "no-such-job"}, user="north-user")
    documented.call("DELETE", one, 200, path, user="north-user")
    documented.call("DELETE", one, 404, {"id": "no-such-job"}, user="north-user")


def test_destinations_and_deliveries(documented):
    base, one = "/api/destinations", "/api/destinations/{id}"
    settings = {"endpoint": "http://127.0.0.1:9", "bucket": "exports", "region": "us-east-1",
                "accessKeyId": "AKIDEXAMPLE"}
    body = {"name": "openapi check", "kind": "s3", "settings": settings,
            "secrets": {"secretAccessKey": "not-a-secret"}}
    created = documented.call("POST", base, 201, body=json.dumps(body), content_type=JSON,
                              user="north-admin").json()
    documented.call("POST", base, 409, body=json.dumps(body), content_type=JSON,
                    user="north-admin")
    documented.call("POST", base, 400, body=json.dumps({**body, "kind": "ftp"}),
                    content_type=JSON, user="north-admin")
    documented.call("POST", base, 403, body=json.dumps(body), content_type=JSON,
                    user="north-user")
    documented.call("GET", base, 200, user="north-user")
    path = {"id": str(created["id"])}
    documented.call("GET", one, 200, path, user="north-user")
    documented.call("GET", one, 404, {"id": "999999"}, user="north-user")
    documented.call("PUT", one, 200, path, body=json.dumps({"name": "openapi renamed"}),
                    content_type=JSON, user="north-admin")
    documented.call("PUT", one, 400, path, body=json.dumps({"kind": 5}), content_type=JSON,
                    user="north-admin")
    documented.call("PUT", one, 404, {"id": "999999"}, body=json.dumps({"name": "x"}),
                    content_type=JSON, user="north-admin")
    documented.call("POST", one + "/test", 200, path, user="north-admin")
    documented.call("POST", one + "/test", 404, {"id": "999999"}, user="north-admin")
    documented.call("DELETE", one, 204, path, user="north-admin")
    documented.call("DELETE", one, 404, path, user="north-admin")
    # An e-mailed delivery link: the page for browsers, and an unknown token.
    delivery = "/api/deliveries/{token}"
    documented.call("GET", delivery, 200, {"token": "unknown"}, headers={"Accept": "text/html"})
    documented.call("GET", delivery, 404, {"token": "unknown"})
    documented.call("POST", delivery, 404, {"token": "unknown"})


def test_schedules(documented, api, ids):
    base, one = "/api/schedules", "/api/schedules/{id}"
    body = {"name": "openapi check", "cron": "0 2 * * *", "timeZone": "UTC", "scope": "studies",
            "ids": [ids["studyUID"]]}
    created = documented.call("POST", base, 201, body=json.dumps(body), content_type=JSON,
                              user="north-admin").json()
    documented.call("POST", base, 400, body=json.dumps({**body, "cron": "61 2 * * *"}),
                    content_type=JSON, user="north-admin")
    documented.call("GET", base, 200, user="north-admin")
    path = {"id": str(created["id"])}
    documented.call("GET", one, 200, path, user="north-admin")
    documented.call("GET", one, 404, {"id": "999999"}, user="north-admin")
    documented.call("PUT", one, 200, path, body=json.dumps({"enabled": False}),
                    content_type=JSON, user="north-admin")
    documented.call("PUT", one, 400, path, body=json.dumps({"timeZone": "Mars/Olympus"}),
                    content_type=JSON, user="north-admin")
    documented.call("PUT", one, 404, {"id": "999999"}, body=json.dumps({"enabled": False}),
                    content_type=JSON, user="north-admin")
    job = documented.call("POST", one + "/run", 202, path, user="north-admin").json()
    documented.call("POST", one + "/run", 404, {"id": "999999"}, user="north-admin")
    wait_for_job(api, job["id"], "north-admin")
    documented.call("GET", one + "/runs", 200, path, user="north-admin")
    documented.call("GET", one + "/runs", 404, {"id": "999999"}, user="north-admin")
    documented.call("DELETE", one, 204, path, user="north-admin")
    documented.call("DELETE", one, 404, path, user="north-admin")


def every_operation(documented):
    """(method, template, operation, path parameters filled with "1") of each documented
    operation; the request gate answers before any handler looks the "1"s up."""
    for name in sorted(operations(documented.document)):
        method, template = name.split(" ", 1)
        params = {part[1:-1]: "1" for part in template.split("/") if part.startswith("{")}
        yield method, template, documented.operation(method, template), params


def test_every_operation_without_a_body_refuses_one(documented):
    """The gate's 400 for a body where the route takes none, before reading it."""
    for method, template, operation, params in every_operation(documented):
        if "requestBody" not in operation:
            documented.call(method, template, 400, params, body=b"{}", content_type=JSON,
                            source_address=(next(_anonymous_addresses), 0))


def test_every_secured_operation_refuses_a_request_without_a_token(documented):
    for method, template, operation, params in every_operation(documented):
        if operation.get("security") == []:
            continue
        content = next(iter(operation.get("requestBody", {}).get("content", {None: None})))
        documented.call(method, template, 401, params, content_type=content,
                        body=None if content is None else b"{}",
                        source_address=(next(_anonymous_addresses), 0))


def test_each_role_is_refused_exactly_the_operations_its_x_roles_leave_out(documented):
    """x-roles (absent: every role) against the server, for Riverside's user and AI
    account: 403 where the role is left out, anything else where it is not."""
    for method, template, operation, _ in every_operation(documented):
        if operation.get("security") == []:
            continue
        content = next(iter(operation.get("requestBody", {}).get("content", {None: None})))
        for role in ("user", "ai"):
            token = documented.api.token(f"river-{role}")
            path = "/".join("1" if part.startswith("{") else part for part in template.split("/"))
            response = documented.api.request(method, path, token=token, content_type=content,
                                              body=None if content is None else b"{}")
            refused = role not in operation.get("x-roles", [role])
            assert (response.status == 403) == refused, (method, template, role, response.status)
            documented.check(method, template, response)


# A successful answer needs what the shared server lacks; checked by the named test.
CHECKED_ELSEWHERE = {
    ("POST /api/deliveries/{token}", "2xx"): "an e-mailed link (test_delivery_email.py)",
}


def test_every_operation_was_checked_with_its_main_answers(documented):
    """The tests above answered each operation with a 2xx and a 400, a secured one with
    a 401 and one with path parameters with a 404; an operation added to the server
    and the document needs its checks here too."""
    seen = {(name, "2xx" if status < 300 else str(status)) for name, status in documented.checked}
    missing = set()
    for method, template, operation, params in every_operation(documented):
        name = f"{method} {template}"
        expected = {"2xx", "400"}
        expected |= {"401"} if operation.get("security") != [] else set()
        expected |= {"404"} if params else set()
        missing |= {(name, answer) for answer in expected} - seen
    assert missing == set(CHECKED_ELSEWHERE)
