"""GET /metrics over real HTTP: scraped before and after real exports (one delivered,
one refused, one whose source fails mid-stream, one job), parsed with Debian's
prometheus_client, and checked to have moved by exactly what happened; no label
value names a patient; and who may read it (decision 0025). Each server here is its
own small one (test_serve_config.make_data_dir), so no other test's work is counted."""

import http.client
import json
import os
import re
import socket
import time
import urllib.error
import urllib.request

import pydicom
import pytest
from prometheus_client.parser import text_string_to_metric_families

from corpus import Corpus
from data_store import damaged, delete, store_path
from server_process import REPO
from test_serve_config import CT_SMALL, login, make_data_dir, start, stop

TOKEN = "metrics-scrape-token-0123456789"


def scrape(base, token=TOKEN):
    """The samples of GET /metrics: {(name, frozenset(labels)): value}."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(base + "/metrics", headers=headers),
                                timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        text = response.read().decode("utf-8")
    samples = {}
    types = {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in samples, f"sample given twice: {key}"
            samples[key] = sample.value
    return samples, types


def value(samples, name, **labels):
    """A sample's value; 0 for a series not yet exposed (a counter not yet counted)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before, after, name, **labels):
    return value(after, name, **labels) - value(before, name, **labels)


def get(base, path, token):
    """GET `path`; (status, body bytes, complete) even when the server cuts the body."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        try:
            return response.status, response.read(), True
        except http.client.IncompleteRead as cut:
            return response.status, cut.partial, False
    finally:
        connection.close()


def wait_for_job(base, token, job_id, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        status, body, _ = get(base, f"/api/export/jobs/{job_id}", token)
        job = json.loads(body)
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def identifying_strings():
    """Patient IDs, names and UIDs of the corpus and of CT_small, which the server holds."""
    found = Corpus().identifying_strings()
    dataset = pydicom.dcmread(CT_SMALL)
    for keyword in ("PatientID", "PatientName", "StudyInstanceUID", "SeriesInstanceUID",
                    "SOPInstanceUID"):
        found.add(str(dataset.get(keyword, "")))
    return {value for value in found if len(value) >= 4}


@pytest.fixture(scope="module")
def metered(tmp_path_factory):
    """A server whose metrics need TOKEN; (data dir, base URL, JWT)."""
    path = tmp_path_factory.mktemp("metrics")
    data = make_data_dir(path)
    process, base = start(data, path / "log", "--demo",
                          env={"PACSPORT_METRICS_BEARER_TOKEN": TOKEN})
    try:
        yield data, base, login(base)
    finally:
        stop(process)


def test_exports_move_the_counters_by_exactly_what_happened(metered):
    data, base, token = metered
    _, body, _ = get(base, "/api/studies", token)
    uid = json.loads(body)["studies"][0]["studyInstanceUID"]
    _, body, _ = get(base, f"/api/studies/{uid}", token)
    instance = json.loads(body)["instances"][0]
    before, _ = scrape(base)

    status, delivered, complete = get(base, f"/api/export/study/{uid}", token)
    assert status == 200 and complete and delivered.startswith(b"PK")
    status, _, _ = get(base, "/api/export/study/1.2.3.404", token)
    assert status == 404
    with damaged(store_path(os.path.join(data, "store"), instance["sha256"]), delete):
        status, partial, complete = get(base, f"/api/export/study/{uid}", token)
    assert not (status == 200 and complete), "the export of a missing file looked complete"
    _, body, _ = get(base, "/api/audit?limit=1", token)
    failed_record = json.loads(body)["records"][0]
    assert failed_record["outcome"] == "failed" and failed_record["target"] == uid

    after, types = scrape(base)
    direct = {"scope": "study", "format": "zip", "kind": "direct"}
    assert moved(before, after, "pacsport_exports_finished_total", outcome="success", **direct) == 1
    assert moved(before, after, "pacsport_exports_finished_total", outcome="denied", **direct) == 1
    assert moved(before, after, "pacsport_exports_finished_total", outcome="failed", **direct) == 1
    assert moved(before, after, "pacsport_export_sent_bytes_total", kind="direct") == \
        len(delivered) + failed_record["bytesSent"]
    # Two sessions ran (the refusal had none); every bucket holds them by +Inf.
    duration = "pacsport_export_duration_seconds"
    assert moved(before, after, duration + "_count", kind="direct") == 2
    assert moved(before, after, duration + "_bucket", kind="direct", le="+Inf") == 2
    assert moved(before, after, duration + "_sum", kind="direct") > 0
    # The delivered export rendered its one instance's previews; the failed one none.
    assert moved(before, after, "pacsport_preview_render_duration_seconds_count",
                 kind="frames") == 1
    assert value(after, "pacsport_exports_running", kind="direct") == 0
    assert types["pacsport_exports_finished"] == "counter"
    assert types[duration] == "histogram"
    assert types["pacsport_exports_running"] == "gauge"


def test_a_job_moves_the_job_counters(metered):
    _, base, token = metered
    _, body, _ = get(base, "/api/studies", token)
    uid = json.loads(body)["studies"][0]["studyInstanceUID"]
    before, _ = scrape(base)
    request = urllib.request.Request(
        base + "/api/export/jobs", method="POST",
        data=json.dumps({"scope": "study", "ids": [uid]}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 202
        job = json.load(response)
    done = wait_for_job(base, token, job["id"])
    assert done["state"] == "done", done

    after, _ = scrape(base)
    assert moved(before, after, "pacsport_jobs_finished_total", outcome="done") == 1
    assert moved(before, after, "pacsport_exports_finished_total", outcome="success",
                 scope="study", format="zip", kind="job") == 1
    assert moved(before, after, "pacsport_export_sent_bytes_total", kind="job") == \
        done["archive"]["size"]
    assert moved(before, after, "pacsport_export_duration_seconds_count", kind="job") == 1
    assert value(after, "pacsport_jobs_running") == 0
    assert value(after, "pacsport_jobs_queued") == 0
    assert value(after, "pacsport_index_sessions") >= 1
    assert 0 <= value(after, "pacsport_index_sessions_in_use") <= \
        value(after, "pacsport_index_sessions")


def test_no_label_names_a_patient_a_user_or_a_hospital(metered):
    _, base, _ = metered
    samples, _ = scrape(base)
    secrets = identifying_strings()
    assert secrets, "no identifying strings to look for"
    label_values = {v for _, labels in samples for _, v in labels}
    for label_value in label_values:
        assert label_value not in ("admin", "H"), label_value
        for secret in secrets:
            assert secret not in label_value, f"a metric label names {secret!r}"
    label_names = {k for _, labels in samples for k, _ in labels}
    assert label_names <= {"outcome", "scope", "format", "kind", "source", "le", "version"}


def test_the_token_is_required_when_configured(metered):
    _, base, jwt = metered
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"},
                    {"Authorization": f"Bearer {jwt}"}, {"Authorization": TOKEN}):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(base + "/metrics", headers=headers),
                                   timeout=30)
        assert refused.value.code == 401, headers
        assert refused.value.headers["WWW-Authenticate"] == "Bearer"
        assert json.load(refused.value)["error"]["code"] == "unauthenticated"
    scrape(base)


def project_version():
    with open(os.path.join(REPO, "CMakeLists.txt")) as f:
        return re.search(r"project\(pacsport VERSION ([\d.]+)", f.read()).group(1)


def non_loopback_address():
    """This machine's address on its default route (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))
        address = probe.getsockname()[0]
    assert not address.startswith("127."), "this machine needs a non-loopback IPv4 address"
    return address


def test_without_a_token_only_loopback_clients_are_answered(tmp_path):
    data = make_data_dir(tmp_path)
    process, base = start(data, tmp_path / "log", "--demo", listen="0.0.0.0:0")
    try:
        port = base.rsplit(":", 1)[1]
        samples, _ = scrape(f"http://127.0.0.1:{port}", token=None)
        assert value(samples, "pacsport_build_info", version=project_version()) == 1
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://{non_loopback_address()}:{port}/metrics", timeout=30)
        assert refused.value.code == 403
        assert json.load(refused.value)["error"]["code"] == "forbidden"
    finally:
        stop(process)
