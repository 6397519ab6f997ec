"""Hostile pixel data over real HTTP: crafted files that crash or hang DCMTK's image
code (tests/integration/crafted_inputs.py) are exported next to an honest CT. Their
previews fail with the reason the worker pool saw, every DICOM file is still exported
byte for byte, the server stays up, and its dead workers are reaped and replaced.
Each test runs its own small server with a CPU allowance of one second per frame."""

import io
import json
import os
import re
import urllib.request
import zipfile

import pytest

import crafted_inputs
from server_process import run_cli
from test_serve_config import CT_SMALL, login, make_data_dir, start, stop

CRASHED = re.compile(r"^frame 0: rendering crashed \(SIG[A-Z0-9]+\)$")
OUT_OF_CPU = "frame 0: rendering exceeded its CPU time"
# DCMTK reports most failed allocations itself; one that throws ends the worker.
MEMORY_REFUSALS = ("cannot decode frame 0", "frame 0: rendering ran out of memory")
WORKERS = 2


def get(base, path, token, timeout=120):
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def instances(document):
    """Every instance object of a metadata document, wherever it is nested."""
    if isinstance(document, dict):
        if "sopInstanceUID" in document and "previews" in document:
            yield document
        for value in document.values():
            yield from instances(value)
    elif isinstance(document, list):
        for value in document:
            yield from instances(value)


def worker_processes(server_pid):
    """(pid, state) of the server's children, zombies included."""
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == server_pid:
            children.append((int(entry), fields[0]))
    return children


@pytest.fixture
def hostile_server(tmp_path):
    data = make_data_dir(tmp_path)
    crafted = crafted_inputs.write_all(tmp_path / "crafted")
    result = run_cli("import", "--data", data, "--hospital", "H", *map(str, crafted.values()))
    assert result.returncode == 0, result.stdout + result.stderr
    process, base = start(data, tmp_path / "serve.log", "--demo",
                          env={"PACSPORT_PREVIEW_FRAME_CPU_SECONDS": "1",
                               "PACSPORT_PREVIEW_WORKERS": str(WORKERS)})
    try:
        yield process, base, login(base), crafted
    finally:
        stop(process)


def test_hostile_files_cost_their_previews_only(hostile_server):
    process, base, token, crafted = hostile_server
    archive = zipfile.ZipFile(io.BytesIO(
        get(base, f"/api/export/patient/{crafted_inputs.PATIENT_ID}?includeImages=true", token)))
    assert archive.testzip() is None
    document = json.loads(archive.read("patient_data.json"))
    by_uid = {instance["sopInstanceUID"]: instance for instance in instances(document)}
    assert len(by_uid) == len(crafted)
    for name, path in crafted.items():
        uid = crafted_inputs.sop_instance_uid(path)
        instance = by_uid[uid]
        reason = instance.get("previewError", "")
        if name in crafted_inputs.CRASHES:
            assert CRASHED.match(reason), (name, reason)
        else:
            assert reason == OUT_OF_CPU, (name, reason)
        assert instance["previews"] == []
        assert archive.read(instance["file"]) == path.read_bytes(), name

    # The server is still up, and the next export renders previews as usual.
    ct = zipfile.ZipFile(io.BytesIO(get(base, "/api/export/all?includeImages=true", token)))
    all_instances = list(instances(json.loads(ct.read("all_data.json"))))
    honest = [i for i in all_instances if i["sopInstanceUID"] not in by_uid]
    assert len(honest) == 1 and len(honest[0]["previews"]) == 1
    assert "previewError" not in honest[0]
    assert process.poll() is None

    # Dead workers were reaped; at most one live worker per slot remains.
    children = worker_processes(process.pid)
    assert all(state != "Z" for _, state in children), children
    assert len(children) <= WORKERS, children


def test_a_crash_mid_export_leaves_the_server_serving(hostile_server):
    process, base, token, crafted = hostile_server
    crash = crafted[crafted_inputs.CRASHES[0]]
    study = crafted_inputs.study_instance_uid(crash)
    for _ in range(3):
        archive = zipfile.ZipFile(io.BytesIO(
            get(base, f"/api/export/study/{study}?includeImages=true", token)))
        assert archive.testzip() is None
        (instance,) = instances(json.loads(archive.read("study_data.json")))
        assert CRASHED.match(instance["previewError"]), instance["previewError"]
    health = json.loads(urllib.request.urlopen(base + "/api/health", timeout=10).read())
    assert health["status"] == "ok", health
    assert process.poll() is None


def test_a_worker_over_its_memory_limit_loses_only_that_preview(tmp_path):
    data = make_data_dir(tmp_path)
    bomb = tmp_path / "rle_bomb.dcm"
    crafted_inputs.rle_bomb().save_as(str(bomb), write_like_original=False)
    # Under the default limit (1 GiB) the bomb renders, in a worker of its own.
    rendered = run_cli("preview", str(bomb))
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    assert run_cli("import", "--data", data, "--hospital", "H", str(bomb)).returncode == 0

    process, base = start(data, tmp_path / "serve.log", "--demo",
                          env={"PACSPORT_PREVIEW_WORKER_MEMORY_MB": "96"})
    try:
        limit = re.search(r"event=preview_workers count=\d+ memory_limit_mb=(\d+)",
                          (tmp_path / "serve.log").read_text())
        assert limit, "the server logs its workers' limits"
        if limit.group(1) == "0":
            pytest.skip("this build applies no memory limit to its workers: sanitizer "
                        "runtimes need the address space (docs/decisions/0005)")
        assert limit.group(1) == "96"
        token = login(base)
        archive = zipfile.ZipFile(io.BytesIO(
            get(base, "/api/export/all?includeImages=true", token)))
        assert archive.testzip() is None
        by_uid = {i["sopInstanceUID"]: i for i in instances(json.loads(archive.read("all_data.json")))}
        starved = by_uid.pop(crafted_inputs.sop_instance_uid(bomb))
        assert starved["previews"] == []
        assert starved["previewError"] in MEMORY_REFUSALS, starved["previewError"]
        assert archive.read(starved["file"]) == bomb.read_bytes()
        (ct,) = by_uid.values()
        assert len(ct["previews"]) == 1 and "previewError" not in ct
        assert process.poll() is None
    finally:
        stop(process)
