"""Orthanc as a PACS source (issue 6), over real processes and HTTP: Debian's Orthanc
(orthanc_process.py) holds the pydicom corpus, `pacsport sync` and `pacsport serve`
index it with a TOML configuration, and exports read every file from Orthanc.

One Orthanc (A, with HTTP basic authentication) for hospital North and one data
directory serve the whole module; the tests run in order and each leaves Orthanc
running and its data as the next one expects (a test that stops or kills Orthanc
starts it again, even when it fails). Orthanc B (no authentication) for hospital
River joins for the two-hospital tests. Every process is stopped at the end."""

import hashlib
import http.client
import io
import json
import os
import re
import subprocess
import time
import zipfile
from dataclasses import dataclass
from typing import Optional

import pydicom
import pytest
from prometheus_client.parser import text_string_to_metric_families

import index_db
from api_client import Api, Response, password_of, quote
from archive_checks import ExportChecker
from corpus import DEFAULT_CORPUS, NORTH, RIVER
from orthanc_process import Orthanc, dicom_files
from orthanc_proxy import OrthancProxy
from server_process import REPO, run_cli
from test_export_streaming import WHOLE_INSTANCE_MAX, multi_frame_ct
from test_serve_config import start, stop

CREDENTIALS = ("pacsport", "orthanc-secret-4711")
WRONG_PASSWORD = "not-the-password-0815"
USERS = {"north-user": (NORTH, "user"), "north-admin": (NORTH, "admin"),
         "river-user": (RIVER, "user"), "river-admin": (RIVER, "admin")}
GENERATE_CT = os.path.join(REPO, "bench", "generate_ct.py")
SYNC_LINE = re.compile(r"^source (\S+): (\d+) added, (\d+) replaced, (\d+) removed, (\d+) skipped, "
                       r"cursor (\d+)$")
LOG_LINE = re.compile(r"^\[\d{4}-\d\d-\d\d [\d:.]+\] \[[a-z]+\] event=")
HEALTH_KEYS = {"name", "kind", "reachable", "indexedChange", "lastChange", "lag", "lastSyncAt",
               "error", "syncedBy"}
ISO_SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
BIG_STUDY_SLICES = 120  # 512x512x16 bit: 60 MB, far more than the export pipeline's window


# --- helpers -------------------------------------------------------------------------------

def wait_for(probe, accept, what, timeout=30, interval=0.2):
    """Calls probe() until accept(value); returns that value. Fails naming `what` and
    the last value seen after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if accept(value):
            return value
        assert time.monotonic() < deadline, f"after {timeout} s, still no {what}: {value!r}"
        time.sleep(interval)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def generate_study(directory, patient_id, slices):
    """A synthetic CT study made by bench/generate_ct.py: (Study Instance UID, files)."""
    made = subprocess.run(["/usr/bin/python3", GENERATE_CT, str(directory), str(slices),
                           "--patient-id", patient_id],
                          capture_output=True, text=True, timeout=900, check=True)
    folder = os.path.join(str(directory), "study_01")
    return made.stdout.split()[0], sorted(os.path.join(folder, n) for n in os.listdir(folder))


def upload_study(orthanc, tmp_path_factory, patient_id, slices):
    """Generates a study and uploads it to `orthanc`: (Study Instance UID, [Upload])."""
    uid, paths = generate_study(tmp_path_factory.mktemp(patient_id), patient_id, slices)
    uploads = orthanc.upload_files(paths)
    assert len(uploads) == slices and all(u.new for u in uploads), orthanc.refused
    return uid, uploads


def sop_uid_of(data):
    return str(pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True, force=True).SOPInstanceUID)


def parse_sync(result):
    """The lines of a `pacsport sync` run: {source: (added, removed, skipped, cursor)}
    (replaced: parse_sync_replaced). Its stdout holds these lines and log lines
    ("[time] [level] event=...") only."""
    return {name: (added, removed, skipped, cursor)
            for name, (added, _, removed, skipped, cursor) in parse_sync_replaced(result).items()}


def parse_sync_replaced(result):
    """{source: (added, replaced, removed, skipped, cursor)} of a `pacsport sync` run."""
    lines = {}
    for line in result.stdout.splitlines():
        if LOG_LINE.match(line):
            continue
        match = SYNC_LINE.match(line)
        assert match, f"not a sync line: {line!r} (stdout {result.stdout!r})"
        assert match.group(1) not in lines, f"two lines for {match.group(1)}"
        lines[match.group(1)] = tuple(int(g) for g in match.groups()[1:])
    return lines


def health(api):
    response = api.get("/api/health")
    assert response.status == 200, (response.status, response.body[:300])
    assert response.header("Content-Type").startswith("application/json")
    return response.json()


def source_health(document, name):
    found = [s for s in document["sources"] if s["name"] == name]
    assert len(found) == 1, document
    return found[0]


def check_health_shape(document, names):
    """The documented shape: status, then "local" and every configured source."""
    assert set(document) == {"status", "sources"}, document
    assert [s["name"] for s in document["sources"]] == ["local", *names], document
    local = source_health(document, "local")
    assert local["kind"] == "local" and local["reachable"] is True, local
    for name in names:
        source = source_health(document, name)
        assert set(source) == HEALTH_KEYS, source
        assert source["kind"] == "orthanc"
        assert source["lag"] == source["lastChange"] - source["indexedChange"], source
        assert source["lastSyncAt"] == "" or ISO_SECONDS.match(source["lastSyncAt"]), source
        assert (source["error"] == "") == source["reachable"], source
    unreachable = [s for s in document["sources"] if not s["reachable"]]
    assert document["status"] == ("degraded" if unreachable else "ok"), document


def audit_records(api, admin):
    return api.get_json("/api/audit", admin, {"limit": 200})["records"]


def newest_audit_id(api, admin):
    records = api.get_json("/api/audit", admin, {"limit": 1})["records"]
    return records[0]["id"] if records else 0


def completed_audit(api, admin, target, after_id, timeout=20):
    """The completed audit record of the first export of `target` after `after_id`."""
    def mine():
        return [r for r in audit_records(api, admin) if r["id"] > after_id and r["target"] == target]
    found = wait_for(mine, lambda rs: rs and rs[-1]["outcome"] != "in_progress",
                     f"completed audit record for {target}", timeout)
    return found[-1]


def study_instances(api, user, uid):
    return api.get_json(f"/api/studies/{uid}", user)["instances"]


def listed_study_uids(api, user):
    return {s["studyInstanceUID"] for s in api.list_all("/api/studies", "studies", user)}


def study_instance_count(api, user, uid):
    """numberOfInstances of the study as `user` sees it; None when not listed."""
    for study in api.list_all("/api/studies", "studies", user):
        if study["studyInstanceUID"] == uid:
            return study["numberOfInstances"]
    return None


def assert_unavailable_naming(response, source):
    """503 with the JSON error naming `source`, and no archive byte."""
    assert response.status == 503, (response.status, response.body[:300])
    assert response.complete
    assert response.header("Content-Type").startswith("application/json"), response.headers
    assert response.error_code() == "unavailable"
    message = response.json()["error"]["message"]
    assert f"'{source}'" in message, message


def export_killing_orthanc(api, user, uid, orthanc):
    """Exports the study (images and previews) and SIGKILLs Orthanc as soon as the first
    byte of the archive arrived; the whole response as api_client.Response."""
    connection = http.client.HTTPConnection(api.host, api.port, timeout=300)
    try:
        connection.request("GET", f"/api/export/study/{quote(uid)}",
                           headers={"Authorization": "Bearer " + api.token(user)})
        response = connection.getresponse()
        assert response.status == 200, (response.status, response.read()[:300])
        body = bytearray(response.read(1))
        assert body == b"P", "an archive starts with a ZIP local header"
        orthanc.kill()
        complete = False
        try:
            while chunk := response.read(1 << 16):
                body += chunk
            complete = True
        except http.client.IncompleteRead as e:
            body += e.partial
        except ConnectionError:
            pass
        return Response(response.status, response.headers, bytes(body), complete)
    finally:
        connection.close()


@dataclass
class Source:
    """One [[sources]] table."""
    name: str
    orthanc: Orthanc
    hospital: str
    password: Optional[str] = None  # instead of the Orthanc's own credentials' password
    url: Optional[str] = None  # instead of the Orthanc's own (a proxy in front of it)
    page_size: Optional[int] = None

    def toml(self, poll, reconcile):
        lines = ["[[sources]]", f"name = {json.dumps(self.name)}", 'kind = "orthanc"',
                 f"url = {json.dumps(self.url or self.orthanc.url)}",
                 f"hospital = {json.dumps(self.hospital)}",
                 "max_in_flight = 4", "connect_timeout_ms = 2000", "read_timeout_seconds = 30",
                 "retries = 2", f"poll_interval_seconds = {poll}",
                 f"reconcile_interval_seconds = {reconcile}"]
        if self.page_size is not None:
            lines.append(f"page_size = {self.page_size}")
        if self.orthanc.credentials is not None:
            username, password = self.orthanc.credentials
            lines += [f"username = {json.dumps(username)}",
                      f"password = {json.dumps(self.password or password)}"]
        return "\n".join(lines) + "\n"


class Pacsport:
    """A data directory with hospitals North and River and their users (USERS), the
    TOML configurations written for it, and `pacsport serve` on it."""

    def __init__(self, directory):
        self.directory = directory
        self.data = str(directory / "data")
        for hospital in (NORTH, RIVER):
            added = run_cli("hospital", "add", "--data", self.data, hospital)
            assert added.returncode == 0, added.stderr
        for username, (hospital, role) in USERS.items():
            added = run_cli("user", "add", "--data", self.data, "--hospital", hospital, "--role",
                            role, username, stdin=password_of(username) + "\n")
            assert added.returncode == 0, added.stderr
        self.configs = 0
        self.process = None
        self.config = None
        self.api = None
        self.logs = []

    def write_config(self, sources, poll=1, reconcile=600):
        self.configs += 1
        path = self.directory / f"config-{self.configs}.toml"
        path.write_text("\n".join(s.toml(poll, reconcile) for s in sources))
        return str(path)

    def sync(self, config, timeout=600):
        return run_cli("sync", "--data", self.data, "--config", config, timeout=timeout)

    def serve(self, config):
        """Runs `pacsport serve` with `config` (restarting it when it ran with another)."""
        if self.process is not None and self.process.poll() is None and self.config == config:
            return self.api
        self.stop()
        log = self.directory / f"serve-{len(self.logs) + 1}.log"
        self.logs.append(log)
        self.process, base = start(self.data, log, "--demo", "--config", config)
        self.config = config
        self.api = Api(base)
        return self.api

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        """SIGTERM; pacsport must exit 0 within 10 s."""
        process, self.process = self.process, None
        if process is not None:
            try:
                stop(process)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()

    def log_text(self):
        return "".join(log.read_text(errors="replace") for log in self.logs)


class OrthancChecker(ExportChecker):
    """archive_checks' export checks, with the IDs the Orthanc holding each file gave
    it as the expected orthancInstanceIds (Orthanc keeps the padding of a value the
    file encodes as UN, which pydicom drops: rtdose_rle.dcm)."""

    def __init__(self, corpus, api, tmp_path_factory, orthanc_ids):
        super().__init__(corpus, api, tmp_path_factory)
        self.orthanc_ids = orthanc_ids  # SHA-256 of a file Orthanc serves -> its ID

    def expected_orthanc_id(self, source):
        return self.orthanc_ids[source.sha256]


# --- fixtures ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus_files():
    files = dicom_files(DEFAULT_CORPUS)
    assert len(files) > 100, files
    return files


@pytest.fixture(scope="module")
def orthanc_a(tmp_path_factory, corpus_files):
    with Orthanc.running(tmp_path_factory.mktemp("orthanc_a"), CREDENTIALS, "north-pacs") as orthanc:
        accepted = orthanc.upload_files(corpus_files)
        # Orthanc 1.10 refuses a few broken or odd files; the rest is the test data.
        assert len(accepted) > 100, orthanc.refused
        yield orthanc


@pytest.fixture(scope="module")
def orthanc_b(tmp_path_factory, corpus_files):
    with Orthanc.running(tmp_path_factory.mktemp("orthanc_b"), None, "river-pacs") as orthanc:
        assert len(orthanc.upload_files(corpus_files)) > 100, orthanc.refused
        yield orthanc


@pytest.fixture
def a_running(orthanc_a):
    """Orthanc A, running at the start and again at the end of the test."""
    if not orthanc_a.alive():
        orthanc_a.start()
    yield orthanc_a
    if not orthanc_a.alive():
        orthanc_a.start()


@pytest.fixture(scope="module")
def originals(orthanc_a):
    """What Orthanc A held before any test changed it: ID -> file, facts, and the first
    uploaded path of each ID."""
    catalog = orthanc_a.catalog()
    files = {orthanc_id: orthanc_a.file(orthanc_id) for orthanc_id in catalog}
    paths = {}
    for upload in orthanc_a.uploads:
        paths.setdefault(upload.orthanc_id, upload.path)
    return catalog, files, paths


@pytest.fixture(scope="module")
def pacsport(tmp_path_factory):
    deployment = Pacsport(tmp_path_factory.mktemp("pacsport"))
    yield deployment
    deployment.stop()
    assert CREDENTIALS[1] not in deployment.log_text(), "the server log holds Orthanc's password"


@pytest.fixture(scope="module")
def pacs_a(orthanc_a):
    return Source("pacs-a", orthanc_a, NORTH)


@pytest.fixture(scope="module")
def config_a(pacsport, pacs_a):
    return pacsport.write_config([pacs_a], poll=1, reconcile=600)


@pytest.fixture(scope="module")
def first_syncs(pacsport, orthanc_a, config_a, originals):
    """`pacsport sync` twice over the untouched corpus in Orthanc A: (the first pass's
    line, the second's, Orthanc's last change before and after the first)."""
    passes = []
    for _ in range(2):
        before = orthanc_a.last_change()
        result = pacsport.sync(config_a)
        after = orthanc_a.last_change()
        assert result.returncode == 0, result.stdout + result.stderr
        assert CREDENTIALS[1] not in result.stdout + result.stderr
        lines = parse_sync(result)
        assert set(lines) == {"pacs-a"}, result.stdout
        passes.append((lines["pacs-a"], before, after))
    return passes[0][0], passes[1][0], passes[0][1], passes[0][2]


@pytest.fixture(scope="module")
def indexed(pacsport, config_a, first_syncs):
    """The instances North sees after the first sync, by study: {study UID: [instance]}."""
    api = pacsport.serve(config_a)
    return {uid: study_instances(api, "north-user", uid) for uid in listed_study_uids(api, "north-user")}


def north_checker(pacsport, corpus, tmp_path_factory, originals):
    _, files, _ = originals
    return OrthancChecker(corpus, pacsport.api, tmp_path_factory,
                          {sha256(data): orthanc_id for orthanc_id, data in files.items()})


def sync_lag_seconds(api, source):
    """pacsport_orthanc_sync_lag_seconds of `source` on the server's /metrics (loopback)."""
    response = api.get("/metrics")
    assert response.status == 200, response.status
    lags = [sample.value for family in text_string_to_metric_families(response.body.decode())
            for sample in family.samples
            if sample.name == "pacsport_orthanc_sync_lag_seconds"
            and sample.labels == {"source": source}]
    assert len(lags) == 1, lags
    return lags[0]


# --- 1. full sync ------------------------------------------------------------------------

def test_sync_indexes_every_instance_orthanc_holds(orthanc_a, originals, first_syncs, pacsport,
                                                  indexed):
    catalog, _, paths = originals
    (added, removed, skipped, cursor), second, before, after = first_syncs
    # The sync authenticated: Orthanc A refuses a request without the credentials.
    assert orthanc_a.request("GET", "/system", authenticate=False)[0] == 401
    assert added + skipped == len(catalog), (added, skipped, len(catalog))
    assert removed == 0
    assert before <= cursor <= after, (before, cursor, after)
    ids = [i["orthancInstanceId"] for instances in indexed.values() for i in instances]
    assert len(ids) == len(set(ids)) == added
    assert set(ids) <= set(catalog), "an orthancInstanceId that Orthanc does not hold"
    # Every file Orthanc accepted is one pacsport reads; it skips only a second instance
    # with an indexed SOP Instance UID (a hospital holds a SOP Instance UID once).
    indexed_sops = {catalog[i].sop_uid for i in ids}
    unexplained = [(i, paths[i]) for i in set(catalog) - set(ids)
                   if catalog[i].sop_uid not in indexed_sops]
    assert not unexplained, f"skipped instances (ID, file uploaded): {unexplained}"
    assert set(indexed) == {catalog[i].study_uid for i in ids}
    for instances in indexed.values():
        for instance in instances:
            assert catalog[instance["orthancInstanceId"]].sop_uid == instance["sopInstanceUID"]

    # A second pass finds nothing new and keeps the cursor.
    assert second[:2] == (0, 0), second
    assert cursor <= second[3] <= orthanc_a.last_change()

    document = wait_for(lambda: health(pacsport.api),
                        lambda d: source_health(d, "pacs-a")["lastSyncAt"] != "",
                        "first pass of the server")
    check_health_shape(document, ["pacs-a"])
    assert document["status"] == "ok"
    assert CREDENTIALS[1] not in json.dumps(document)
    # /metrics tells the age of the source's last complete pass (docs/metrics.md).
    assert 0 <= sync_lag_seconds(pacsport.api, "pacs-a") < 600


def test_exports_hold_orthancs_files_byte_for_byte(pacsport, corpus, tmp_path_factory, originals,
                                                   indexed):
    catalog, files, _ = originals
    api = pacsport.api
    checker = north_checker(pacsport, corpus, tmp_path_factory, originals)
    exported = set()

    def check_orthanc_entries(archive, document):
        for instance in document["instances"]:
            orthanc_id = instance["orthancInstanceId"]
            assert orthanc_id in files, f"{orthanc_id} is not one of Orthanc's IDs"
            assert archive.read(instance["file"]) == files[orthanc_id], \
                f"{instance['file']} differs from Orthanc's /instances/{orthanc_id}/file"
            assert catalog[orthanc_id].sop_uid == instance["sopInstanceUID"]
            exported.add(orthanc_id)

    for uid in sorted(indexed):
        archive, document = checker.check_study_export(api.export("study", uid, user="north-user"),
                                                       "north-user", NORTH, uid)
        check_orthanc_entries(archive, document)
    all_ids = {i["orthancInstanceId"] for instances in indexed.values() for i in instances}
    assert exported == all_ids
    exported.clear()
    for patient in api.list_all("/api/patients", "patients", "north-user"):
        archive, document = checker.check_patient_export(
            api.export("patient", patient["patientID"], user="north-user"), "north-user", NORTH,
            patient["patientID"])
        check_orthanc_entries(archive, document)
    # Studies without a Patient ID belong to no patient: they are exported by study.
    for study in api.list_all("/api/studies", "studies", "north-user", {"patientID": ""}):
        archive, document = checker.check_study_export(
            api.export("study", study["studyInstanceUID"], user="north-user"), "north-user", NORTH,
            study["studyInstanceUID"])
        check_orthanc_entries(archive, document)
    assert exported == all_ids


def test_embedded_store_gives_the_same_orthanc_ids(orthanc_a, originals, tmp_path_factory,
                                                   indexed):
    """Every file Orthanc A holds, imported with `pacsport import`, gets the ID Orthanc
    gave it (rtdose_rle.dcm included, whose identifying elements are stored as UN with
    padding that Orthanc keeps). Files sharing a SOP Instance UID go to different
    hospitals, as one hospital holds a SOP Instance UID once."""
    _, files, paths = originals
    deployment = Pacsport(tmp_path_factory.mktemp("embedded"))
    folders = {NORTH: tmp_path_factory.mktemp("import_north"),
               RIVER: tmp_path_factory.mktemp("import_river")}
    seen = set()
    for orthanc_id, data in sorted(files.items()):
        sop = sop_uid_of(data)
        hospital = RIVER if sop in seen else NORTH
        seen.add(sop)
        (folders[hospital] / f"{orthanc_id}.dcm").write_bytes(data)
    for hospital, folder in folders.items():
        imported = run_cli("import", "--data", deployment.data, "--hospital", hospital, str(folder),
                           timeout=600)
        assert imported.returncode == 0, imported.stdout + imported.stderr
    config = deployment.write_config([])
    api = deployment.serve(config)
    try:
        by_sha256 = {sha256(data): orthanc_id for orthanc_id, data in files.items()}
        embedded = {}
        for user in ("north-user", "river-user"):
            for uid in listed_study_uids(api, user):
                for instance in study_instances(api, user, uid):
                    embedded[instance["sha256"]] = instance["orthancInstanceId"]
    finally:
        deployment.stop()
    synced = {i["sha256"] for instances in indexed.values() for i in instances}
    assert synced <= set(embedded), "pacsport import rejected files that pacsport sync indexed"
    differing = {os.path.basename(paths[by_sha256[digest]]): (orthanc_id, by_sha256[digest])
                 for digest, orthanc_id in embedded.items() if orthanc_id != by_sha256[digest]}
    assert not differing, f"embedded store's ID != Orthanc's (file: (embedded, Orthanc)): {differing}"


# --- 2. incremental ---------------------------------------------------------------------

def test_new_study_appears_while_serving(pacsport, config_a, a_running, tmp_path_factory, indexed):
    api = pacsport.serve(config_a)
    uid, uploads = upload_study(a_running, tmp_path_factory, "INCREMENTAL", 3)
    last = a_running.last_change()
    # A few poll intervals of 1 s, with room for a slow machine.
    wait_for(lambda: study_instance_count(api, "north-user", uid), lambda n: n == 3,
             "new study with its 3 instances in /api/studies", timeout=20)
    ids = {i["orthancInstanceId"] for i in study_instances(api, "north-user", uid)}
    assert ids == {u.orthanc_id for u in uploads}
    document = wait_for(lambda: health(api),
                        lambda d: source_health(d, "pacs-a")["lag"] == 0
                        and source_health(d, "pacs-a")["indexedChange"] >= last,
                        "lag 0 after the new study")
    check_health_shape(document, ["pacs-a"])
    assert source_health(document, "pacs-a")["lastChange"] >= last


# --- 3. restart ---------------------------------------------------------------------------

def test_changes_while_down_are_picked_up_at_start(pacsport, config_a, a_running,
                                                   tmp_path_factory, indexed):
    api = pacsport.serve(config_a)
    uid, uploads = upload_study(a_running, tmp_path_factory, "RESTART-KEEP", 3)
    wait_for(lambda: study_instance_count(api, "north-user", uid), lambda n: n == 3,
             "the study to delete from, indexed", timeout=30)
    pacsport.stop()

    new_uid, new_uploads = upload_study(a_running, tmp_path_factory, "WHILE-DOWN", 2)
    victim = uploads[1]
    a_running.delete_instance(victim.orthanc_id)
    api = pacsport.serve(config_a)
    wait_for(lambda: study_instance_count(api, "north-user", new_uid), lambda n: n == 2,
             "study uploaded while pacsport was down", timeout=60)
    wait_for(lambda: study_instance_count(api, "north-user", uid), lambda n: n == 2,
             "study without the instance deleted while pacsport was down", timeout=60)
    left = study_instances(api, "north-user", uid)
    assert {i["orthancInstanceId"] for i in left} == {uploads[0].orthanc_id, uploads[2].orthanc_id}
    assert sop_uid_of(victim.data) not in {i["sopInstanceUID"] for i in left}
    assert {i["orthancInstanceId"] for i in study_instances(api, "north-user", new_uid)} == \
        {u.orthanc_id for u in new_uploads}


# --- 4. Orthanc stopped before an export ------------------------------------------------------

def test_export_with_orthanc_stopped_is_refused(pacsport, config_a, a_running, corpus,
                                                tmp_path_factory, originals, indexed):
    api = pacsport.serve(config_a)
    uid = max(indexed, key=lambda u: len(indexed[u]))
    before = newest_audit_id(api, "north-admin")
    a_running.stop()

    # A browser's download link is refused when asked for, not when the browser uses it.
    assert_unavailable_naming(
        api.request("POST", f"/api/export/link/study/{uid}", token=api.token("north-user")),
        "pacs-a")
    response = api.export("study", uid, user="north-user")
    assert_unavailable_naming(response, "pacs-a")
    record = completed_audit(api, "north-admin", uid, before)
    assert record["outcome"] == "failed", record
    assert record["bytesSent"] == 0 and record["username"] == "north-user"
    cli_records = [json.loads(line) for line in
                   run_cli("audit", "--data", pacsport.data, "--limit", "5").stdout.splitlines()]
    assert any(r["id"] == record["id"] and r["outcome"] == "failed" for r in cli_records)

    document = wait_for(lambda: health(api), lambda d: d["status"] == "degraded",
                        "degraded health with Orthanc stopped", timeout=20)
    check_health_shape(document, ["pacs-a"])
    pacs = source_health(document, "pacs-a")
    assert pacs["reachable"] is False and pacs["error"], pacs
    # Browsing reads the index only.
    assert study_instance_count(api, "north-user", uid) == len(indexed[uid])

    a_running.start()
    wait_for(lambda: health(api), lambda d: d["status"] == "ok", "health ok again", timeout=30)
    checker = north_checker(pacsport, corpus, tmp_path_factory, originals)
    checker.check_study_export(api.export("study", uid, user="north-user"), "north-user", NORTH,
                               uid)


# --- 5. Orthanc killed mid-export --------------------------------------------------------------

@pytest.fixture(scope="module")
def big_study(pacsport, config_a, orthanc_a, tmp_path_factory, indexed):
    if not orthanc_a.alive():
        orthanc_a.start()
    api = pacsport.serve(config_a)
    uid, uploads = upload_study(orthanc_a, tmp_path_factory, "BIG-CT", BIG_STUDY_SLICES)
    wait_for(lambda: study_instance_count(api, "north-user", uid),
             lambda n: n == BIG_STUDY_SLICES, "the big study indexed", timeout=180, interval=1)
    assert len(uploads) == BIG_STUDY_SLICES
    return uid


def test_orthanc_killed_mid_export_cuts_the_download(pacsport, config_a, a_running, big_study,
                                                     corpus, tmp_path_factory, originals,
                                                     indexed):
    uid = big_study
    api = pacsport.serve(config_a)
    before = newest_audit_id(api, "north-admin")
    response = export_killing_orthanc(api, "north-user", uid, a_running)
    assert not response.complete, "the archive ended with its final chunk"
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(response.body))
    record = completed_audit(api, "north-admin", uid, before)
    assert record["outcome"] == "failed", record
    assert 0 < record["bytesSent"] <= len(response.body), (record, len(response.body))
    assert "pacs-a" in record["detail"], record

    assert pacsport.alive()
    assert study_instance_count(api, "north-user", uid) == BIG_STUDY_SLICES
    wait_for(lambda: health(api), lambda d: d["status"] == "degraded",
             "degraded health with Orthanc killed", timeout=20)
    a_running.start()
    wait_for(lambda: health(api), lambda d: d["status"] == "ok", "health ok again", timeout=30)
    small = min(indexed, key=lambda u: len(indexed[u]))
    checker = north_checker(pacsport, corpus, tmp_path_factory, originals)
    checker.check_study_export(api.export("study", small, user="north-user"), "north-user", NORTH,
                               small)


# --- 6. instance deleted in Orthanc after sync ----------------------------------------------------

def test_export_of_an_instance_deleted_since_sync_fails(pacsport, pacs_a, a_running,
                                                        tmp_path_factory, indexed):
    # Only the start-up pass of a server that polls hourly can index the study: it
    # lists Orthanc's instances before it indexes them, so it cannot see the deletion
    # that follows, and no other pass runs for an hour.
    pacsport.stop()
    uid, uploads = upload_study(a_running, tmp_path_factory, "DELETED-LATER", 3)
    slow = pacsport.write_config([pacs_a], poll=3600, reconcile=3600)
    api = pacsport.serve(slow)
    wait_for(lambda: study_instance_count(api, "north-user", uid), lambda n: n == 3,
             "the study indexed by the start-up pass", timeout=60)
    wait_for(lambda: health(api), lambda d: source_health(d, "pacs-a")["lastSyncAt"] != "",
             "the end of the start-up pass")
    victim = uploads[1]
    a_running.delete_instance(victim.orthanc_id)
    before = newest_audit_id(api, "north-admin")

    response = api.export("study", uid, user="north-user")
    assert (response.status == 200 and not response.complete) or 400 <= response.status < 600, \
        (response.status, response.complete)
    record = completed_audit(api, "north-admin", uid, before)
    assert record["outcome"] == "failed", record
    assert sop_uid_of(victim.data) in record["detail"], record
    assert study_instance_count(api, "north-user", uid) == 3, "the server noticed on its own"

    pacsport.stop()
    result = pacsport.sync(slow)
    assert result.returncode == 0, result.stderr
    added, removed, _, _ = parse_sync(result)["pacs-a"]
    assert (added, removed) == (0, 1), result.stdout


# --- 7. two hospitals -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def two_sources(pacsport, pacs_a, orthanc_b, orthanc_a, tmp_path_factory, indexed):
    """Orthanc B (River) joins; a study only Orthanc A (North) holds. The sync's lines,
    the config, the A-only study's UID."""
    if not orthanc_a.alive():
        orthanc_a.start()
    pacsport.stop()
    caught_up = pacsport.sync(pacsport.write_config([pacs_a]))
    assert caught_up.returncode == 0, caught_up.stdout + caught_up.stderr
    only_a, _ = upload_study(orthanc_a, tmp_path_factory, "NORTH-ONLY", 2)
    config = pacsport.write_config([pacs_a, Source("pacs-b", orthanc_b, RIVER)], poll=1)
    result = pacsport.sync(config)
    assert result.returncode == 0, result.stdout + result.stderr
    return parse_sync(result), config, only_a


def test_each_hospital_sees_its_own_orthanc(pacsport, orthanc_b, a_running, two_sources):
    lines, config, only_a = two_sources
    catalog_b = orthanc_b.catalog()
    assert set(lines) == {"pacs-a", "pacs-b"}
    assert lines["pacs-a"][:2] == (2, 0), lines  # the A-only study
    added_b, removed_b, skipped_b, _ = lines["pacs-b"]
    assert added_b + skipped_b == len(catalog_b) and removed_b == 0, lines
    api = pacsport.serve(config)
    wait_for(lambda: health(api), lambda d: all(s["lastSyncAt"] for s in d["sources"][1:]),
             "both sources' start-up pass")
    check_health_shape(health(api), ["pacs-a", "pacs-b"])

    north, river = listed_study_uids(api, "north-user"), listed_study_uids(api, "river-user")
    assert only_a in north and only_a not in river
    river_ids = {i["orthancInstanceId"] for uid in river
                 for i in study_instances(api, "river-user", uid)}
    assert len(river_ids) == added_b and river_ids <= set(catalog_b)
    assert river == {catalog_b[i].study_uid for i in river_ids}
    assert api.get(f"/api/studies/{only_a}", user="river-user").status == 404
    assert api.export("study", only_a, user="river-user").status == 404
    # The corpus's studies are in both hospitals, each with all its instances: the same
    # SOP Instance UIDs as two separate copies, River's from Orthanc B.
    assert river <= north, river - north
    for uid in river:
        river_copy = study_instances(api, "river-user", uid)
        north_copy = study_instances(api, "north-user", uid)
        assert {i["sopInstanceUID"] for i in river_copy} == {i["sopInstanceUID"] for i in north_copy}
        assert all(catalog_b[i["orthancInstanceId"]].study_uid == uid for i in river_copy)


def test_each_hospital_exports_from_its_own_orthanc(pacsport, orthanc_b, a_running, corpus,
                                                    tmp_path_factory, two_sources):
    _, config, _ = two_sources
    api = pacsport.serve(config)
    shared = sorted(listed_study_uids(api, "north-user") & listed_study_uids(api, "river-user"))
    uid = max(shared, key=lambda u: len(study_instances(api, "river-user", u)))
    files_b = {i: orthanc_b.file(i) for i in orthanc_b.catalog()}
    river_checker = OrthancChecker(corpus, api, tmp_path_factory,
                                   {sha256(d): i for i, d in files_b.items()})
    north_before = newest_audit_id(api, "north-admin")
    river_before = newest_audit_id(api, "river-admin")
    a_running.stop()
    # With A stopped, River's copy still exports (it comes from B); North's cannot.
    archive, document = river_checker.check_study_export(
        api.export("study", uid, user="river-user"), "river-user", RIVER, uid)
    for instance in document["instances"]:
        assert archive.read(instance["file"]) == files_b[instance["orthancInstanceId"]]
    assert_unavailable_naming(api.export("study", uid, user="north-user"), "pacs-a")
    assert completed_audit(api, "river-admin", uid, river_before)["outcome"] == "success"
    assert completed_audit(api, "north-admin", uid, north_before)["outcome"] == "failed"
    assert not [r for r in audit_records(api, "river-admin") if r["username"].startswith("north-")]


# --- 8. configuration errors --------------------------------------------------------------------

BAD_CONFIGS = {
    "unknown hospital": ('name = "pacs-x"\nurl = "http://127.0.0.1:1"\nhospital = "Nowhere Infirmary"\n',
                         "Nowhere Infirmary"),
    "bad url": ('name = "pacs-x"\nurl = "127.0.0.1:8042"\nhospital = "H"\n', "sources[0].url"),
    "ftp url": ('name = "pacs-x"\nurl = "ftp://127.0.0.1:8042"\nhospital = "H"\n', "sources[0].url"),
    "name local": ('name = "local"\nurl = "http://127.0.0.1:1"\nhospital = "H"\n', "sources[0].name"),
    "bad name": ('name = "PACS A"\nurl = "http://127.0.0.1:1"\nhospital = "H"\n', "sources[0].name"),
    "unknown kind": ('name = "pacs-x"\nkind = "dicomweb"\nurl = "http://127.0.0.1:1"\nhospital = "H"\n',
                     "sources[0].kind"),
    "max_in_flight": ('name = "pacs-x"\nurl = "http://127.0.0.1:1"\nhospital = "H"\nmax_in_flight = 0\n',
                      "sources[0].max_in_flight"),
    "poll interval": ('name = "pacs-x"\nurl = "http://127.0.0.1:1"\nhospital = "H"\n'
                      "poll_interval_seconds = 0\n", "sources[0].poll_interval_seconds"),
}


def bad_config_text(case):
    body, _ = BAD_CONFIGS[case]
    body = body.replace('"H"', json.dumps(NORTH))
    if "kind" not in body:
        body = 'kind = "orthanc"\n' + body
    return "[[sources]]\n" + body


@pytest.mark.parametrize("command", ["sync", "serve"])
@pytest.mark.parametrize("case", [*BAD_CONFIGS, "duplicate name"])
def test_configuration_errors_name_the_key(pacsport, tmp_path, command, case):
    if case == "duplicate name":
        one = '[[sources]]\nname = "pacs-x"\nkind = "orthanc"\nurl = "http://127.0.0.1:1"\n' \
              f"hospital = {json.dumps(NORTH)}\n"
        text, expected = one + "\n" + one, "sources[1].name"
    else:
        text, expected = bad_config_text(case), BAD_CONFIGS[case][1]
    config = tmp_path / "bad.toml"
    config.write_text(text)
    args = ["--data", pacsport.data, "--config", str(config)]
    if command == "serve":
        args += ["--listen", "127.0.0.1:0", "--demo"]
    result = run_cli(command, *args, timeout=60)
    assert result.returncode != 0, result.stdout
    assert expected in result.stderr, result.stderr


# --- 9. sync with an Orthanc down ------------------------------------------------------------------

def test_sync_with_orthanc_down_fails_naming_it(pacsport, a_running, two_sources):
    _, config, _ = two_sources
    pacsport.stop()
    a_running.stop()
    result = pacsport.sync(config, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "pacs-a" in result.stderr, result.stderr
    assert set(parse_sync(result)) == {"pacs-b"}, "the reachable source still syncs"


def test_sync_with_wrong_credentials_fails_naming_the_source(pacsport, orthanc_a, a_running):
    wrong = pacsport.write_config([Source("pacs-a", orthanc_a, NORTH, password=WRONG_PASSWORD)])
    result = pacsport.sync(wrong, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "pacs-a" in result.stderr, result.stderr
    assert WRONG_PASSWORD not in result.stdout + result.stderr


# --- 10. an instance over the whole-instance limit ------------------------------------------

def test_an_instance_over_64_mib_goes_through_orthanc_byte_for_byte(pacsport, config_a,
                                                                   a_running, indexed):
    """Over 64 MiB, the sync parses the file from a temporary file instead of memory and
    the export streams it from Orthanc in chunks: the archive holds it byte for byte."""
    ramp = bytes(range(256)) * 128
    uid, content = multi_frame_ct(2200, lambda size: (ramp * (size // len(ramp) + 1))[:size])
    assert len(content) > WHOLE_INSTANCE_MAX
    upload = a_running.upload(content, "large.dcm")
    assert upload is not None, "Orthanc refused the large file"
    api = pacsport.serve(config_a)
    wait_for(lambda: study_instance_count(api, "north-user", uid), lambda n: n == 1,
             "the large instance indexed", timeout=120, interval=1)
    (instance,) = study_instances(api, "north-user", uid)
    assert instance["orthancInstanceId"] == upload.orthanc_id
    assert instance["sha256"] == sha256(content)

    response = api.export("study", uid, user="north-user", params={"previews": "false"},
                          timeout=300)
    assert response.status == 200 and response.complete, response.status
    with zipfile.ZipFile(io.BytesIO(response.body)) as archive:
        assert archive.testzip() is None
        assert archive.read("dicom/1.dcm") == content


# --- 11. a PACS that changes under the sync (issue 12) --------------------------------------
# Orthanc C (River) and a deployment of their own; pacsport reaches Orthanc C through a
# proxy that can change Orthanc at an exact point of a pass, and lists 2 instances a page.

@pytest.fixture(scope="module")
def orthanc_c(tmp_path_factory):
    with Orthanc.running(tmp_path_factory.mktemp("orthanc_c"), None, "changing-pacs") as orthanc:
        yield orthanc


@pytest.fixture(scope="module")
def proxy_c(orthanc_c):
    with OrthancProxy(orthanc_c) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def changing(tmp_path_factory, orthanc_c, proxy_c):
    """(deployment, config through the proxy, paging by 2, polling every second)."""
    deployment = Pacsport(tmp_path_factory.mktemp("changing"))
    source = Source("pacs-c", orthanc_c, RIVER, url=proxy_c.url, page_size=2)
    yield deployment, deployment.write_config([source], poll=1, reconcile=3600)
    deployment.stop()


def indexed_files(deployment, source="pacs-c"):
    """Orthanc ID -> (SHA-256, size) of every instance the index holds from `source`."""
    with index_db.connect(deployment.data, read_only=True) as db:
        rows = db.execute("SELECT location_key, sha256, size_bytes FROM instances "
                          "WHERE source = ?", (source,)).fetchall()
    return {key: (digest, size) for key, digest, size in rows}


def sync_c(deployment, config):
    result = deployment.sync(config)
    assert result.returncode == 0, result.stdout + result.stderr
    return parse_sync_replaced(result)["pacs-c"]


def replace_in_orthanc(orthanc, upload, change):
    """Deletes the instance and uploads change(its bytes) in its place: the same
    identifiers, so the same Orthanc ID. The new bytes."""
    data = change(upload.data)
    assert data != upload.data
    orthanc.delete_instance(upload.orthanc_id)
    again = orthanc.upload(data)
    assert again is not None and again.orthanc_id == upload.orthanc_id and again.new
    return data


def flip_last_byte(data):
    """Other bytes of the same size (the last pixel)."""
    return data[:-1] + bytes([data[-1] ^ 0x01])


def with_comment(data):
    """Other bytes of another size: an Image Comments element added."""
    dataset = pydicom.dcmread(io.BytesIO(data))
    dataset.ImageComments = "corrected after the first upload"
    out = io.BytesIO()
    dataset.save_as(out)
    return out.getvalue()


def test_reconcile_removes_nothing_orthanc_holds_when_paging_shifts(orthanc_c, proxy_c, changing,
                                                                     tmp_path_factory):
    """Orthanc lists by position: deleting an instance between two pages moves every
    later instance a place back, so the next page starts one too far and one present
    instance is never listed. A naive reconciliation removed it."""
    deployment, config = changing
    uid, uploads = upload_study(orthanc_c, tmp_path_factory, "SHIFTING", 6)
    assert sync_c(deployment, config)[:3] == (6, 0, 0)
    listed = orthanc_c.get_json("/instances")
    assert listed == [u.orthanc_id for u in uploads], "Orthanc lists in upload order"
    _, extra = upload_study(orthanc_c, tmp_path_factory, "SHIFTING-EXTRA", 1)
    orthanc_c.delete_instance(extra[0].orthanc_id)  # uploaded again during the pass
    deleted = listed[0]

    def change_orthanc():
        orthanc_c.delete_instance(deleted)
        assert orthanc_c.upload(extra[0].data) is not None

    # After page 1 (the first two), before page 2: page 2 now starts at listed[3].
    proxy_c.before(lambda path: path.startswith("/instances?expand&since=2&"), change_orthanc)
    added, replaced, removed, skipped, _ = sync_c(deployment, config)
    assert proxy_c.fired(), proxy_c.paths
    held = set(orthanc_c.get_json("/instances"))
    assert listed[2] in held, "the instance the shifted listing skipped is in Orthanc"
    assert held <= set(indexed_files(deployment)), "an instance Orthanc holds was removed"
    assert (replaced, removed, skipped) == (0, 0, 0)
    assert added == 1  # the instance uploaded during the pass, listed at the end

    # The deletion itself is seen by the next reconciliation, confirmed by Orthanc.
    assert sync_c(deployment, config)[:3] == (0, 0, 1)
    assert set(indexed_files(deployment)) == held

    api = deployment.serve(config)
    response = api.export("study", uid, user="river-user", params={"previews": "false"})
    assert response.status == 200 and response.complete, response.status
    with zipfile.ZipFile(io.BytesIO(response.body)) as archive:
        assert archive.testzip() is None
        assert len([n for n in archive.namelist() if n.endswith(".dcm")]) == 5


def test_a_listing_cut_short_removes_nothing(orthanc_c, proxy_c, changing):
    """Orthanc deletes half its instances while pacsport lists (the listing ends early
    on a short page); everything still there stays indexed."""
    deployment, config = changing
    sync_c(deployment, config)
    before = orthanc_c.get_json("/instances")
    assert len(before) >= 6
    doomed = before[:len(before) // 2]

    def delete_half():
        for orthanc_id in doomed:
            orthanc_c.delete_instance(orthanc_id)

    proxy_c.before(lambda path: path.startswith("/instances?expand&since=2&"), delete_half)
    _, _, removed, _, _ = sync_c(deployment, config)
    assert proxy_c.fired()
    held = set(orthanc_c.get_json("/instances"))
    assert held == set(before) - set(doomed)
    assert held <= set(indexed_files(deployment)), "an instance Orthanc holds was removed"
    assert removed <= len(doomed)
    sync_c(deployment, config)
    assert set(indexed_files(deployment)) == held


def test_an_instance_replaced_under_the_same_id_is_indexed_again(orthanc_c, changing,
                                                                 tmp_path_factory):
    deployment, config = changing
    deployment.stop()
    uid, uploads = upload_study(orthanc_c, tmp_path_factory, "REPLACED", 3)
    assert sync_c(deployment, config)[:3] == (3, 0, 0)

    # Found by reconciling: the same size, other bytes (Orthanc's file UUID changed).
    first = uploads[0]
    new_first = replace_in_orthanc(orthanc_c, first, flip_last_byte)
    assert len(new_first) == len(first.data)
    assert sync_c(deployment, config)[:3] == (0, 1, 0)
    assert indexed_files(deployment)[first.orthanc_id] == (sha256(new_first), len(new_first))
    assert sync_c(deployment, config)[:3] == (0, 0, 0), "indexed again once only"

    # Found while following the change feed (Orthanc reports the upload as new).
    api = deployment.serve(config)
    wait_for(lambda: health(api), lambda d: source_health(d, "pacs-c")["lastSyncAt"] != "",
             "the start-up pass")
    second = uploads[1]
    new_second = replace_in_orthanc(orthanc_c, second, with_comment)
    wait_for(lambda: {i["orthancInstanceId"]: i["sha256"]
                      for i in study_instances(api, "river-user", uid)}[second.orthanc_id],
             lambda digest: digest == sha256(new_second), "the replaced instance indexed again")
    response = api.export("study", uid, user="river-user", params={"previews": "false"})
    assert response.status == 200 and response.complete, response.status
    with zipfile.ZipFile(io.BytesIO(response.body)) as archive:
        document = json.loads(archive.read("study_data.json"))
        files = {i["orthancInstanceId"]: archive.read(i["file"]) for i in document["instances"]}
    assert files[first.orthanc_id] == new_first and files[second.orthanc_id] == new_second
    assert files[uploads[2].orthanc_id] == uploads[2].data


def test_ai_results_survive_a_prune_and_re_add(orthanc_c, tmp_path_factory, changing):
    deployment, _ = changing
    deployment.stop()
    reconciling = deployment.write_config([Source("pacs-c", orthanc_c, RIVER)], poll=1,
                                          reconcile=1)
    uid, uploads = upload_study(orthanc_c, tmp_path_factory, "AI-KEPT", 2)
    api = deployment.serve(reconciling)
    wait_for(lambda: study_instance_count(api, "river-user", uid), lambda n: n == 2,
             "the study indexed")
    analysis = {"findings": [{"label": "nodule", "probability": 0.9}], "summary": "Läsion"}
    models = ["lung-nodule-detector-2.1"]
    put = api.request("PUT", f"/api/studies/{uid}/ai-analysis", token=api.token("river-admin"),
                      body=json.dumps({"analysis": analysis, "models": models}).encode(),
                      content_type="application/json")
    assert put.status == 200, (put.status, put.body[:300])
    stored = api.get_json(f"/api/studies/{uid}", "river-user")

    for upload in uploads:
        orthanc_c.delete_instance(upload.orthanc_id)
    wait_for(lambda: api.get(f"/api/studies/{uid}", user="river-user").status, lambda s: s == 404,
             "the study pruned after its instances were deleted in Orthanc")
    for upload in uploads:
        assert orthanc_c.upload(upload.data) is not None
    wait_for(lambda: study_instance_count(api, "river-user", uid), lambda n: n == 2,
             "the study indexed again")
    study = api.get_json(f"/api/studies/{uid}", "river-user")
    assert study["aiAnalysis"] == analysis and study["aiModels"] == models
    assert study["aiAnalyzedAt"] == stored["aiAnalyzedAt"]
