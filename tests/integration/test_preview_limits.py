"""Preview limits over real HTTP (preview.max_frames_per_instance,
max_bytes_per_instance_mb, max_bytes_per_export_mb): a few-byte object claiming ten
million frames, a cine longer than the frame limit, an instance whose previews outgrow
their limit and instances past the export's budget each get a previewError naming the
limit, and every DICOM file is still exported byte for byte. One small server, limits
set through the environment."""

import io
import json
import os
import re
import zipfile

import crafted_inputs
from pydicom.uid import ExplicitVRLittleEndian
from server_process import run_cli
from test_preview_sandbox import get, instances
from test_serve_config import login, make_data_dir, start, stop

PATIENT_ID = "LIMITS"
NOISE_SIDE = 512  # random 8-bit frames: their PNGs are about as large as the pixels


def multi_frame(suffix, number, frames, side, pixels):
    ds = crafted_inputs.image("77." + suffix, ExplicitVRLittleEndian, side, side, 8, 8, frames)
    ds.PatientID = PATIENT_ID
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.10.1126.2.77"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.10.1126.3.77"
    ds.SeriesNumber = 1
    ds.InstanceNumber = number
    ds.PixelData = pixels
    return ds


def noise(frames):
    return os.urandom(frames * NOISE_SIDE * NOISE_SIDE)


# name: (instance number, dataset); export order is instance number order.
def inputs():
    return {
        # NumberOfFrames of ten million over one byte of pixel data.
        "claims_millions": multi_frame("1", 1, 10_000_000, 1, b"\x00\x00"),
        "long_cine": multi_frame("2", 2, 12, 16, bytes(12 * 16 * 16)),
        "outgrows_instance": multi_frame("3", 3, 6, NOISE_SIDE, noise(6)),
        "first_in_budget": multi_frame("4", 4, 3, NOISE_SIDE, noise(3)),
        "second_in_budget": multi_frame("5", 5, 3, NOISE_SIDE, noise(3)),
        "past_the_budget": multi_frame("6", 6, 3, NOISE_SIDE, noise(3)),
    }


def test_previews_beyond_their_limits_say_which(tmp_path):
    data = make_data_dir(tmp_path)
    paths = {}
    for name, ds in inputs().items():
        paths[name] = tmp_path / (name + ".dcm")
        ds.save_as(str(paths[name]), write_like_original=False)
    result = run_cli("import", "--data", data, "--hospital", "H", *map(str, paths.values()))
    assert result.returncode == 0, result.stdout + result.stderr

    process, base = start(data, tmp_path / "serve.log", "--demo",
                          env={"PACSPORT_PREVIEW_MAX_FRAMES_PER_INSTANCE": "10",
                               "PACSPORT_PREVIEW_MAX_BYTES_PER_INSTANCE_MB": "1",
                               "PACSPORT_PREVIEW_MAX_BYTES_PER_EXPORT_MB": "2"})
    try:
        assert re.search(r"event=preview_workers .* max_frames_per_instance=10 "
                         r"max_bytes_per_instance_mb=1 max_bytes_per_export_mb=2",
                         (tmp_path / "serve.log").read_text())
        archive = zipfile.ZipFile(io.BytesIO(get(
            base, f"/api/export/patient/{PATIENT_ID}?includeImages=true", login(base))))
        assert archive.testzip() is None
        by_uid = {i["sopInstanceUID"]: i for i in instances(json.loads(
            archive.read("patient_data.json")))}
        got = {name: by_uid[crafted_inputs.sop_instance_uid(path)]
               for name, path in paths.items()}
        for name, path in paths.items():
            assert archive.read(got[name]["file"]) == path.read_bytes(), name

        assert got["claims_millions"]["previewError"] == \
            "10000000 frames: over preview.max_frames_per_instance (10)"
        assert got["long_cine"]["previewError"] == \
            "12 frames: over preview.max_frames_per_instance (10)"
        assert re.fullmatch(r"frame \d+: previews over preview\.max_bytes_per_instance_mb "
                            r"\(1 MiB\)", got["outgrows_instance"]["previewError"])
        for name in ("first_in_budget", "second_in_budget"):
            assert len(got[name]["previews"]) == 3 and "previewError" not in got[name], name
        assert got["past_the_budget"]["previewError"] == \
            "previews of this export over preview.max_bytes_per_export_mb (2 MiB)"
        for name in ("claims_millions", "long_cine", "outgrows_instance", "past_the_budget"):
            assert got[name]["previews"] == [], name
        png_bytes = sum(len(archive.read(n)) for n in archive.namelist() if n.endswith(".png"))
        assert png_bytes <= 2 << 20
        assert process.poll() is None
    finally:
        stop(process)
