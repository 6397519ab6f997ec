"""The command line: `export` writes what the API sends, never a partial file,
`import` reports every file it leaves out, and `preview` writes one PNG per frame."""

import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys

import pytest

from archive_checks import MANIFEST, RECEIPT, ZipUnderTest, png_dimensions, run, validate_document
from corpus import NORTH
from server_process import pacsport_binary, run_cli
from data_store import damaged, delete, store_files, store_path
from deflate_bomb import element, deflate_bomb

SUMMARY = re.compile(r"^imported (\d+), already present (\d+), rejected (\d+)$")
REJECTED = re.compile(r"^rejected (.+): (.+)$")
RENDERED = re.compile(r"^rendered (\d+) frames of (\d+) files in ([\d.]+) s "
                      r"\(([\d.]+) frames/s\), (\d+) bytes of PNG; peak RSS (\d+) MB here, "
                      r"at most (\d+) MB in each of (\d+) workers$")
NO_PREVIEW = re.compile(r"^no preview (.+): (.+)$")
# A square CT; two RGB RLE frames; 80 x 60 big endian (Columns x Rows, not Rows x Columns).
# And a structured report, which has no pixels.
PREVIEW_IMAGES = ("CT_small.dcm", "SC_rgb_rle_2frame.dcm", "ExplVR_BigEnd.dcm")
PREVIEW_NON_IMAGE = "test-SR.dcm"
VOLATILE = {("metadata", "exportedAt"), ("metadata", "exportedBy")}


def without_volatile_fields(document):
    document = json.loads(json.dumps(document))
    for section, key in VOLATILE:
        document[section].pop(key)
    document["patient"].pop("exportDate")
    return document


@pytest.fixture(scope="module")
def rich_study(api):
    """Northside's study with the most instances: DICOM files and previews."""
    studies = api.list_all("/api/studies", "studies", "north-user")
    return max((s for s in studies if s["patientID"]), key=lambda s: s["numberOfInstances"])


def export_target(api, rich_study, scope):
    if scope == "series":
        series = api.get_json(f"/api/studies/{rich_study['studyInstanceUID']}/series",
                              "north-user")
        return series["series"][0]["seriesInstanceUID"]
    return rich_study["studyInstanceUID"] if scope == "study" else rich_study["patientID"]


@pytest.mark.parametrize("scope,cli_args,api_params", [
    ("study", [], {}),
    ("patient", [], {}),
    ("series", [], {}),
    # The CLI opens the data directory's research key as the server does: one project,
    # the same pseudonyms and byte-identical de-identified files.
    ("study", ["--deidentify", "basic", "--project", "cli-check",
               "--deidentify-option", "retain-longitudinal-modified-dates",
               "--deidentify-option", "clean-descriptors"],
     {"deidentify": "basic", "project": "cli-check",
      "deidentifyOptions": "retain-longitudinal-modified-dates,clean-descriptors"}),
])
def test_cli_export_is_the_api_export(api, data_dir, tmp_path, rich_study, scope, cli_args,
                                      api_params):
    target = export_target(api, rich_study, scope)
    output = tmp_path / "out.zip"
    result = run_cli("export", scope, target, "--data", data_dir, "--hospital", NORTH,
                     "-o", str(output), *cli_args)
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(tmp_path)) == ["out.zip"]
    cli = ZipUnderTest(output.read_bytes(), str(tmp_path / "cli"))
    cli.check_manifest()
    response = api.export(scope, target, user="north-user", params=api_params)
    assert response.status == 200 and response.complete
    served = ZipUnderTest(response.body, str(tmp_path / "api"))
    assert cli.names == served.names
    metadata_name = f"{'study' if scope == 'series' else scope}_data.json"
    for name in cli.names:
        if name.endswith((".dcm", ".png")):
            assert cli.read(name) == served.read(name), name
    cli_document = cli.json(metadata_name)
    validate_document("study" if scope == "series" else scope, cli_document)
    if api_params:
        for name in cli.names:  # nothing names the original study, inflated or not
            assert target not in name and target.encode() not in cli.read(name), name
        assert cli_document["metadata"]["deidentification"]["project"] == "cli-check"
    assert cli_document["metadata"]["exportedBy"].startswith("cli:")
    assert without_volatile_fields(cli_document) == without_volatile_fields(served.json(metadata_name))
    cli_manifest = cli.read(MANIFEST).decode().splitlines()
    served_manifest = served.read(MANIFEST).decode().splitlines()
    assert [l for l in cli_manifest if not l.endswith((metadata_name, RECEIPT))] == \
        [l for l in served_manifest if not l.endswith((metadata_name, RECEIPT))]


def test_cli_json_to_stdout(data_dir, rich_study):
    result = run_cli("export", "study", rich_study["studyInstanceUID"], "--data", data_dir,
                     "--hospital", NORTH, "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    validate_document("study", document)
    assert document["metadata"]["includesImages"] is False


@pytest.mark.parametrize("args", [
    ["study", "1.2.826.0.1.3680043.999999.3", "--hospital", NORTH],
    ["study", "1.2.", "--hospital", NORTH],
    ["patient", "NO-SUCH-PATIENT", "--hospital", NORTH],
    ["study", "1.2.3", "--hospital", "No Such Hospital"],
    ["study", "1.2.3", "--hospital", NORTH, "--compression", "10"],
    ["study", "1.2.3", "--hospital", NORTH, "--project", "p"],
    ["study", "1.2.3", "--hospital", NORTH, "--deidentify", "full", "--project", "p"],
    ["study", "1.2.3", "--hospital", NORTH, "--deidentify", "basic", "--project", "a/b"],
    ["study", "1.2.3", "--hospital", NORTH, "--deidentify", "basic", "--project", "p",
     "--deidentify-option", "retain-all"],
])
def test_cli_export_failure_leaves_no_file(data_dir, tmp_path, args):
    output = tmp_path / "out.zip"
    result = run_cli("export", *args, "--data", data_dir, "-o", str(output))
    assert result.returncode != 0
    assert result.stderr.strip(), "a failure explains itself on stderr"
    assert result.stdout == ""
    assert os.listdir(tmp_path) == []


def test_cli_export_source_failure_leaves_no_file(data_dir, store_dir, tmp_path, api, rich_study):
    detail = api.get_json(f"/api/studies/{rich_study['studyInstanceUID']}", "north-user")
    victim = store_path(store_dir, detail["instances"][-1]["sha256"])
    output = tmp_path / "out.zip"
    with damaged(victim, delete):
        result = run_cli("export", "study", rich_study["studyInstanceUID"], "--data", data_dir,
                         "--hospital", NORTH, "-o", str(output))
    assert result.returncode != 0
    assert detail["instances"][-1]["sopInstanceUID"] in result.stderr
    assert os.listdir(tmp_path) == []


def import_corpus(data_dir, corpus):
    result = run_cli("import", "--data", data_dir, "--hospital", "Import Test", corpus.root,
                     timeout=300)
    assert result.returncode == 2, result.stderr
    summary = SUMMARY.match(result.stdout.strip())
    assert summary, result.stdout
    rejected = {}
    for line in result.stderr.splitlines():
        match = REJECTED.match(line)
        assert match, f"unexpected stderr line: {line!r}"
        rejected[os.path.relpath(match.group(1), corpus.root)] = match.group(2)
    added, present, refused = map(int, summary.groups())
    return added, present, refused, rejected


def test_import_reports_every_rejected_file(tmp_path, corpus):
    data_dir = str(tmp_path / "data")
    assert run_cli("hospital", "add", "--data", data_dir, "Import Test").returncode == 0
    added, present, refused, rejected = import_corpus(data_dir, corpus)
    assert refused == len(rejected)
    assert {"MR_truncated.dcm", "README.txt", "rtplan_truncated.dcm"} <= set(rejected)
    assert "CT_small.dcm" not in rejected and "MR_small.dcm" not in rejected
    assert all(reason.strip() for reason in rejected.values())
    assert added + present + refused == len(corpus.files)
    store = store_files(os.path.join(data_dir, "store"))
    assert len(store) == added
    assert {os.path.basename(p) for p in store} <= set(corpus.by_sha256)

    again = import_corpus(data_dir, corpus)
    assert again == (0, added + present, refused, rejected)
    assert store_files(os.path.join(data_dir, "store")) == store


def import_hospital(tmp_path):
    data_dir = str(tmp_path / "data")
    assert run_cli("hospital", "add", "--data", data_dir, "Import Test").returncode == 0
    return data_dir


# Runs a command as the child of a fresh, small Python and reports the child's peak
# RSS on a last stderr line. Linux keeps a process's peak RSS across exec, so a
# command forked straight from this test process would inherit the test's own.
MEASURED = """import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
sys.stderr.write(f"peak_rss_kib={usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_import(data_dir, *paths, env=None):
    """`pacsport import`; returns its exit code, stdout, stderr and peak RSS in bytes."""
    result = subprocess.run([sys.executable, "-c", MEASURED, pacsport_binary(), "import",
                             "--data", data_dir, "--hospital", "Import Test", *paths],
                            capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, **(env or {})))
    err, _, peak = result.stderr.rpartition("peak_rss_kib=")
    return result.returncode, result.stdout, err, int(peak) * 1024


def test_import_refuses_deflate_bombs_by_name(tmp_path, corpus):
    """Refused while inflating, under the default limit and under one from the
    environment; the other files of the run are imported."""
    data_dir = import_hospital(tmp_path)
    files = tmp_path / "files"
    files.mkdir()
    shutil.copy(corpus.file("CT_small.dcm").path, files / "ct.dcm")
    big = files / "big_bomb.dcm"
    big.write_bytes(deflate_bomb(0x44000000, "1.2.826.0.1.3680043.10.1299.2"))
    small = files / "small_bomb.dcm"
    small.write_bytes(deflate_bomb(16 << 20, "1.2.826.0.1.3680043.10.1299.3"))

    code, out, err, peak = run_import(data_dir, str(files))
    assert code == 2, err
    assert out.strip() == "imported 2, already present 0, rejected 1"
    assert err.splitlines() == [
        f"rejected {big}: the deflated DICOM dataset inflates beyond 1024 MiB"]
    assert peak < 512 << 20, f"peak RSS {peak >> 20} MiB"

    data_dir = import_hospital(tmp_path / "limited")
    code, out, err, _ = run_import(data_dir, str(small), str(files / "ct.dcm"),
                                   env={"PACSPORT_MAX_INFLATED_MB": "4"})
    assert code == 2 and out.strip() == "imported 1, already present 0, rejected 1"
    assert err.splitlines() == [
        f"rejected {small}: the deflated DICOM dataset inflates beyond 4 MiB"]
    assert len(store_files(os.path.join(data_dir, "store"))) == 1


def sparse_dicom(path, pixel_bytes):
    """An Explicit VR Little Endian file with `pixel_bytes` of zero pixel data, made sparse."""
    meta = (element(0x0002, 0x0001, b"OB", b"\0\1") +
            element(0x0002, 0x0002, b"UI", b"1.2.840.10008.5.1.4.1.1.7") +
            element(0x0002, 0x0003, b"UI", b"1.2.826.0.1.3680043.10.1299.4.3") +
            element(0x0002, 0x0010, b"UI", b"1.2.840.10008.1.2.1"))
    with open(path, "wb") as f:
        f.write(b"\0" * 128 + b"DICM" +
                element(0x0002, 0x0000, b"UL", struct.pack("<I", len(meta))) + meta +
                element(0x0008, 0x0018, b"UI", b"1.2.826.0.1.3680043.10.1299.4.3") +
                element(0x0010, 0x0020, b"LO", b"LARGE-IMPORT") +
                element(0x0020, 0x000D, b"UI", b"1.2.826.0.1.3680043.10.1299.4.1") +
                element(0x0020, 0x000E, b"UI", b"1.2.826.0.1.3680043.10.1299.4.2") +
                struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, pixel_bytes))
        f.truncate(f.tell() + pixel_bytes)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def test_import_never_reads_a_large_file_into_memory(tmp_path):
    """A 768 MiB file is imported with a peak RSS far below its size (reading it whole,
    as import did, took more than the file), and stored byte for byte."""
    data_dir = import_hospital(tmp_path)
    large = tmp_path / "large.dcm"
    sparse_dicom(large, 768 << 20)
    code, out, err, peak = run_import(data_dir, str(large))
    assert code == 0, err
    assert out.strip() == "imported 1, already present 0, rejected 0"
    assert peak < 256 << 20, f"peak RSS {peak >> 20} MiB for a {large.stat().st_size >> 20} MiB file"
    digest = sha256_of(large)
    stored = store_path(os.path.join(data_dir, "store"), digest)
    assert os.path.getsize(stored) == large.stat().st_size
    assert sha256_of(stored) == digest


def expected_size(columns, rows, max_side):
    """Columns x Rows, scaled down so that the longer side is max_side (None: as stored)."""
    if max_side is None or max(columns, rows) <= max_side:
        return columns, rows
    scale = max_side / max(columns, rows)
    return round(columns * scale), round(rows * scale)


@pytest.mark.parametrize("size", [None, 64])
def test_preview_renders_every_frame(corpus, tmp_path, size):
    images = [corpus.file(name) for name in PREVIEW_IMAGES]
    non_image = corpus.file(PREVIEW_NON_IMAGE)
    out = tmp_path / "png"
    args = ["preview", *(f.path for f in images), non_image.path, "--out", str(out),
            "--workers", "2"]
    result = run_cli(*args, *(["--size", str(size)] if size else []))
    assert result.returncode == 2, result.stderr

    no_preview = [NO_PREVIEW.match(line) for line in result.stderr.splitlines()]
    assert all(no_preview), result.stderr
    assert [m.groups() for m in no_preview] == [(non_image.path, "no pixel data")]

    expected = {}
    for image in images:
        stem = os.path.splitext(os.path.basename(image.path))[0]
        frames = image.integer("NumberOfFrames") or 1
        for k in range(frames):
            expected[f"{stem}_frame_{k}.png"] = expected_size(
                image.integer("Columns"), image.integer("Rows"), size)
    assert sorted(os.listdir(out)) == sorted(expected)
    checked = run(["pngcheck", "-q", *sorted(expected)], cwd=out)
    assert checked.returncode == 0, f"pngcheck failed: {checked.stdout}{checked.stderr}"
    png_bytes = 0
    for name, (width, height) in expected.items():
        data = (out / name).read_bytes()
        png_bytes += len(data)
        assert png_dimensions(data) == (width, height), name
        if size:
            assert max(png_dimensions(data)) == size, name

    summary = RENDERED.match(result.stdout.strip())
    assert summary, result.stdout
    assert int(summary.group(1)) == len(expected)
    assert int(summary.group(2)) == len(images)
    assert int(summary.group(5)) == png_bytes
    assert int(summary.group(8)) == 2  # --workers 2
    assert 0 < int(summary.group(7)) < 200, "a worker's peak RSS in MB"


def test_preview_of_images_only_exits_0(corpus):
    images = [corpus.file(name) for name in PREVIEW_IMAGES]
    frames = sum(image.integer("NumberOfFrames") or 1 for image in images)
    result = run_cli("preview", *(image.path for image in images))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    summary = RENDERED.match(result.stdout.strip())
    assert summary, result.stdout
    assert summary.group(1, 2) == (str(frames), str(len(images))), result.stdout
    assert int(summary.group(5)) > 0


def test_preview_that_cannot_write_exits_1(corpus, tmp_path):
    (tmp_path / "CT_small_frame_0.png").mkdir()  # where the PNG must go
    result = run_cli("preview", corpus.file("CT_small.dcm").path, "--out", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip() == f"pacsport: cannot write {tmp_path / 'CT_small_frame_0.png'}"
    assert result.stdout == ""
