#!/usr/bin/python3
"""stow_push.py [SLICES]: one export job pushed to Orthanc by DICOMweb STOW-RS, beside
curl posting the same batches to another Orthanc, in one run on the same files.

A generated SLICES-slice 512x512 16-bit CT (default 300, about 158 MB of DICOM,
bench/generate_ct.py) is imported into pacsport, then sent to two fresh Debian Orthancs
(1.10, DICOMweb plugin 1.7, loopback, storage on the work folder's disk):
  curl           the files as multipart/related bodies of 50 instances (pacsport's
                 default batch), written to disk beforehand, each POSTed by one curl
                 --data-binary to /dicom-web/studies: Orthanc's own intake rate
  pacsport       an export job (previews=false) to a "dicomweb" destination with the
                 default settings, timed from its "delivering" state to "delivered" as
                 seen by polling every 20 ms: QIDO-RS for what is present, the STOW-RS
                 batches, QIDO-RS again to verify
Each Orthanc must then hold SLICES instances. Environment: PACSPORT_BIN (default
build/src/app/pacsport); TMPDIR for the work folder (about 4 bytes of free disk per byte
of DICOM)."""
import os
import shlex
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from destinations_api import DELIVERY_FINAL, create_destination  # noqa: E402
from orthanc_process import Orthanc  # noqa: E402
from server_process import run_cli  # noqa: E402
from test_export_jobs import Jobs, login_admin  # noqa: E402
from test_serve_config import start, stop  # noqa: E402

BATCH = 50
BOUNDARY = b"bench-stow-boundary-4b1c9e"


def multipart_bodies(paths, directory):
    """Writes the files as multipart/related bodies of BATCH parts; their paths."""
    bodies = []
    for first in range(0, len(paths), BATCH):
        body = os.path.join(directory, f"body{first // BATCH:04d}")
        with open(body, "wb") as out:
            for path in paths[first:first + BATCH]:
                out.write(b"--" + BOUNDARY + b"\r\nContent-Type: application/dicom\r\n\r\n")
                with open(path, "rb") as f:
                    out.write(f.read())
                out.write(b"\r\n")
            out.write(b"--" + BOUNDARY + b"--\r\n")
        bodies.append(body)
    return bodies


def curl_post(orthanc, bodies):
    started = time.monotonic()
    for body in bodies:
        subprocess.run(["curl", "-sS", "-f", "-o", "/dev/null", "-H", "Expect:",
                        "-H", "Content-Type: multipart/related; type=\"application/dicom\"; "
                              "boundary=" + BOUNDARY.decode(),
                        "--data-binary", "@" + body, orthanc.dicomweb_url + "/studies"],
                       check=True)
    return time.monotonic() - started


def pacsport_push(jobs, orthanc, study):
    destination = create_destination(jobs.api, "dicomweb", "bench", {"url": orthanc.dicomweb_url}, {})
    job = jobs.start("admin", scope="study", ids=[study], previews=False,
                     destination=destination["id"])
    while True:
        state = jobs.get("admin", job["id"])
        if state["state"] == "delivering":
            break
        assert state["state"] not in DELIVERY_FINAL, state
        time.sleep(0.02)
    started = time.monotonic()
    done = jobs.wait("admin", job["id"], DELIVERY_FINAL, timeout=3600)
    seconds = time.monotonic() - started
    assert done["state"] == "delivered", done
    return seconds, done["deliveredTo"]


def main():
    slices = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    os.environ.setdefault("PACSPORT_BIN", os.path.join(REPO, "build", "src", "app", "pacsport"))
    with tempfile.TemporaryDirectory() as work:
        ct = os.path.join(work, "ct")
        study = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "bench", "generate_ct.py"),
                                ct, str(slices)], check=True, capture_output=True,
                               text=True).stdout.split()[0]
        paths = sorted(os.path.join(d, n) for d, _, names in os.walk(ct) for n in names)
        total = sum(os.path.getsize(p) for p in paths)
        data = os.path.join(work, "data")
        assert run_cli("hospital", "add", "--data", data, "H").returncode == 0
        assert run_cli("user", "add", "--data", data, "--hospital", "H", "--role", "admin",
                       "admin", stdin="admin-pass\n").returncode == 0
        assert run_cli("import", "--data", data, "--hospital", "H", ct).returncode == 0
        bodies_dir = os.path.join(work, "bodies")
        os.makedirs(bodies_dir)
        bodies = multipart_bodies(paths, bodies_dir)

        rows = []
        with Orthanc.running(os.path.join(work, "orthanc-curl"), dicomweb=True) as orthanc:
            seconds = curl_post(orthanc, bodies)
            assert len(orthanc.get_json("/instances")) == slices
            rows.append(("curl, the same batches of 50 as multipart bodies from disk", seconds))
        process, base = start(data, os.path.join(work, "server.log"), "--demo")
        try:
            jobs = Jobs(base)
            login_admin(jobs)
            with Orthanc.running(os.path.join(work, "orthanc-pacsport"), dicomweb=True) as orthanc:
                seconds, report = pacsport_push(jobs, orthanc, study)
                assert len(orthanc.get_json("/instances")) == slices
                assert report["sent"] == slices and report["verification"][0]["heldByPeer"] == slices
                rows.append(("pacsport export job → dicomweb destination (QIDO-RS, STOW-RS "
                             "batches of 50, QIDO-RS)", seconds))
        finally:
            stop(process)

    command = " ".join(shlex.quote(a) for a in ["/usr/bin/python3", "bench/stow_push.py", *sys.argv[1:]])
    print(f"{command}\n\n{slices} instances, {total} bytes of DICOM\n")
    print("| push to Orthanc 1.10 + DICOMweb 1.7 | seconds | instances/s | MB/s |")
    print("|---|---|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} | {slices / seconds:.0f} | {total / 1e6 / seconds:.1f} |")


if __name__ == "__main__":
    main()
