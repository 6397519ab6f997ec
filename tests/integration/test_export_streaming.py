"""The streaming engine over real HTTP, each test on its own small server: the cap on
concurrent exports (503 with Retry-After, browsing unaffected, the slot given back
when a client goes away) and an instance too large to hold, streamed through in
chunks with bounded server memory."""

import hashlib
import io
import json
import os
import random
import socket
import subprocess
import time
import urllib.error
import urllib.request
import zipfile

import pydicom
import pydicom.uid

from server_process import run_cli
from test_serve_config import login, make_data_dir, start, stop

CT_SMALL = "/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm"
# PackagerLimits::whole_instance_max_bytes: larger instances are streamed.
WHOLE_INSTANCE_MAX = 64 << 20


def multi_frame_ct(frames, pixels):
    """CT_small grown to `frames` frames, its pixel data made by `pixels(size)`."""
    ds = pydicom.dcmread(CT_SMALL)
    ds.PatientID = "STREAM-TEST"
    ds.StudyInstanceUID = pydicom.uid.generate_uid()
    ds.SeriesInstanceUID = pydicom.uid.generate_uid()
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.NumberOfFrames = frames
    ds.PixelData = pixels(frames * ds.Rows * ds.Columns * 2)
    out = io.BytesIO()
    ds.save_as(out, write_like_original=False)
    return ds.StudyInstanceUID, out.getvalue()


def import_file(data, tmp_path, content):
    path = tmp_path / "instance.dcm"
    path.write_bytes(content)
    result = run_cli("import", "--data", data, "--hospital", "H", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def get(base, path, token, timeout=60):
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    return urllib.request.urlopen(request, timeout=timeout)


def audit_outcome(base, token, target, timeout=10):
    """The outcome of the newest completed export of `target`, waiting for it."""
    deadline = time.monotonic() + timeout
    while True:
        with get(base, "/api/audit?limit=20", token) as response:
            records = [r for r in json.load(response)["records"] if r["target"] == target]
        if records and records[0]["outcome"] != "in_progress":
            return records[0]
        assert time.monotonic() < deadline, records
        time.sleep(0.05)


def stalled_export(base, token, study_uid):
    """Starts an export and stops reading it after the headers: a client that holds
    its export slot. Returns the connected socket."""
    host, port = base.removeprefix("http://").split(":")
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    client.connect((host, int(port)))
    client.sendall((f"GET /api/export/study/{study_uid}?compression=0 HTTP/1.1\r\n"
                    f"Host: {host}\r\nAuthorization: Bearer {token}\r\n\r\n").encode())
    assert client.recv(12) == b"HTTP/1.1 200"
    return client


def vm_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(field)


def test_exports_beyond_the_cap_get_503_and_the_slot_returns_when_the_client_leaves(tmp_path):
    data = make_data_dir(tmp_path)
    # 16 MiB of noise: more than the socket buffers hold, so a client that stops
    # reading keeps the export running.
    study_uid, content = multi_frame_ct(512, random.Random(3).randbytes)
    import_file(data, tmp_path, content)
    process, base = start(data, tmp_path / "log", "--demo",
                          env={"PACSPORT_MAX_CONCURRENT_EXPORTS": "1"})
    try:
        token = login(base)
        with get(base, "/api/studies?limit=100", token) as response:
            small_uid = [s["studyInstanceUID"] for s in json.load(response)["studies"]
                         if s["studyInstanceUID"] != study_uid][0]

        client = stalled_export(base, token, study_uid)
        try:
            refused = None
            try:
                get(base, f"/api/export/study/{small_uid}", token)
            except urllib.error.HTTPError as error:
                refused = error
            assert refused is not None and refused.code == 503
            assert refused.headers["Retry-After"] == "5"
            body = json.load(refused)
            assert body["error"]["code"] == "unavailable"
            assert "already running" in body["error"]["message"]
            assert audit_outcome(base, token, small_uid)["outcome"] == "over_capacity"
            # Browsing is not an export: it answers while the slot is taken.
            started = time.monotonic()
            with get(base, "/api/patients", token, timeout=5) as response:
                assert response.status == 200
            assert time.monotonic() - started < 2
        finally:
            client.close()
        left = time.monotonic()
        record = audit_outcome(base, token, study_uid, timeout=10)
        assert record["outcome"] == "aborted", record
        assert time.monotonic() - left < 5, "the server noticed the client leave too late"
        with get(base, f"/api/export/study/{small_uid}", token) as response:
            archive = zipfile.ZipFile(io.BytesIO(response.read()))
            assert archive.testzip() is None
    finally:
        stop(process)


def test_an_instance_larger_than_the_window_streams_through_in_chunks(tmp_path):
    data = make_data_dir(tmp_path)
    # A smooth, compressible 72 MB multi-frame CT, over the whole-instance limit.
    frames = 2200
    ramp = bytes(range(256)) * 128

    def pixels(size):
        return (ramp * (size // len(ramp) + 1))[:size]

    study_uid, content = multi_frame_ct(frames, pixels)
    assert len(content) > WHOLE_INSTANCE_MAX
    import_file(data, tmp_path, content)
    process, base = start(data, tmp_path / "log", "--demo")
    try:
        token = login(base)
        # Forget the peak of start-up (Argon2id hashing takes 64 MiB), then measure.
        with open(f"/proc/{process.pid}/clear_refs", "w") as f:
            f.write("5")
        resident_before = vm_kib(process.pid, "VmRSS")
        with get(base, f"/api/export/study/{study_uid}", token, timeout=300) as response:
            body = response.read()
        peak = vm_kib(process.pid, "VmHWM")
    finally:
        stop(process)

    path = tmp_path / "export.zip"
    path.write_bytes(body)
    for command in (["unzip", "-tqq", str(path)], ["7z", "t", str(path)],
                    ["bsdtar", "-tf", str(path)]):
        checked = subprocess.run(command, capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    assert archive.read("dicom/1.dcm") == content
    info = archive.getinfo("dicom/1.dcm")
    assert info.compress_type == zipfile.ZIP_DEFLATED and info.compress_size < len(content) // 4
    assert info.flag_bits & 0x8, "a streamed entry has its sizes in a data descriptor"
    manifest = archive.read("checksums.sha256").decode()
    assert f"{hashlib.sha256(content).hexdigest()}  dicom/1.dcm" in manifest
    # Its previews are rendered from a copy on disk, as a whole instance's would be.
    instance = json.loads(archive.read("study_data.json"))["instances"][0]
    assert "previewError" not in instance, instance["previewError"]
    assert instance["previews"] == [f"previews/frame_{k}.png" for k in range(frames)]
    assert set(instance["previews"]) <= set(archive.namelist())
    # Held whole, the file and its compressed copy would take over 80 MB; streamed,
    # the server holds a few chunks. (ASan's quarantine keeps freed chunks: not there.)
    if "ASAN_OPTIONS" not in os.environ:
        assert (peak - resident_before) * 1024 < len(content) // 2, (peak, resident_before)
