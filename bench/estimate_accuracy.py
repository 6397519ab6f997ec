#!/usr/bin/python3
"""estimate_accuracy.py [SLICES] [--studies N] [--bin PACSPORT]: how close the export
estimate (GET /api/export/estimate/...) comes to the real archive (issue 13).

Seeds a fresh data directory with the demo (Debian's pydicom test corpus, two
hospitals, scripts/seed-demo.sh) and a third hospital holding one patient of N
synthetic CT studies of SLICES slices (bench/generate_ct.py; default 300 slices, 2
studies), serves it on a loopback port, and for each export asks the estimate, then
downloads the archive and compares: the whole size, and the DICOM and PNG entries
(their compressed sizes in the ZIP) against estimatedDicomBytes and
estimatedPreviewBytes. Variants: with previews, without previews, without images,
format=json. Prints Markdown tables (docs/performance.md)."""
import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from api_client import Api, quote  # noqa: E402
from corpus import DEFAULT_CORPUS  # noqa: E402

VARIANTS = {
    "previews": {"includeImages": "true"},
    "no previews": {"includeImages": "true", "previews": "false"},
    "no images": {"includeImages": "false"},
    "json": {"format": "json"},
}
CT_HOSPITAL = "Bench CT"
CT_ADMIN = "bench-admin"


def run(binary, *args, stdin=None):
    subprocess.run([binary, *args], input=stdin, text=True, check=True, capture_output=True)


def seed(binary, data, work, slices, studies):
    subprocess.run(["bash", os.path.join(REPO, "scripts", "seed-demo.sh"), binary, data,
                    DEFAULT_CORPUS], check=True, capture_output=True)
    ct_dir = os.path.join(work, "ct")
    subprocess.run([sys.executable, os.path.join(HERE, "generate_ct.py"), ct_dir, str(slices),
                    "--studies", str(studies)], check=True, capture_output=True)
    run(binary, "hospital", "add", "--data", data, CT_HOSPITAL)
    run(binary, "user", "add", "--data", data, "--hospital", CT_HOSPITAL, "--role", "admin",
        CT_ADMIN, stdin=CT_ADMIN + "-pass\n")
    files = sorted(os.path.join(d, f) for d, _, names in os.walk(ct_dir) for f in names)
    started = time.monotonic()
    run(binary, "import", "--data", data, "--hospital", CT_HOSPITAL, *files)
    return len(files), time.monotonic() - started


def patient_get(call):
    """call() again while the user's request rate is over its limit (429, Retry-After):
    these modules send hundreds of small requests a second."""
    for _ in range(20):
        response = call()
        if response.status != 429:
            return response
        time.sleep(float(response.header("Retry-After") or 1))
    return response


def measure(api, user, scope, target, params):
    path = "/api/export/estimate/all" if scope == "all" else \
        f"/api/export/estimate/{scope}/{quote(target)}"
    started = time.monotonic()
    answer = patient_get(lambda: api.get(path, user=user, params=params))
    estimate_ms = (time.monotonic() - started) * 1000
    assert answer.status == 200, (path, answer.status)
    numbers = answer.json()
    response = patient_get(lambda: api.export(scope, target, user=user, params=params))
    assert response.status == 200 and response.complete, (scope, target, response.status)
    dicom = png = 0
    if params.get("format") != "json":
        for info in zipfile.ZipFile(io.BytesIO(response.body)).infolist():
            if info.filename.endswith(".dcm"):
                dicom += info.compress_size
            elif info.filename.endswith(".png"):
                png += info.compress_size
    return numbers, len(response.body), dicom, png, estimate_ms


def error(estimated, real):
    return "—" if real == 0 else f"{100.0 * (estimated - real) / real:+.1f} %"


def row(label, variant, result):
    numbers, size, dicom, png, ms = result
    dicom_cell = "—" if variant in ("no images", "json") else \
        f"{numbers['estimatedDicomBytes']} / {dicom} ({error(numbers['estimatedDicomBytes'], dicom)})"
    png_cell = "—" if variant != "previews" else \
        f"{numbers['estimatedPreviewBytes']} / {png} ({error(numbers['estimatedPreviewBytes'], png)})"
    return (f"| {label} | {variant} | {numbers['estimatedBytes']} | {size} | "
            f"{error(numbers['estimatedBytes'], size)} | {dicom_cell} | {png_cell} | {ms:.0f} |")


HEADER = ("| export | variant | estimate | archive | error | DICOM est. / real | "
          "previews est. / real | estimate ms |\n|---|---|---|---|---|---|---|---|")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split(":")[0])
    parser.add_argument("slices", nargs="?", type=int, default=300)
    parser.add_argument("--studies", type=int, default=2)
    parser.add_argument("--bin", default=os.path.join(REPO, "build", "src", "app", "pacsport"))
    args = parser.parse_args()
    binary = os.path.abspath(args.bin)
    os.environ["PACSPORT_BIN"] = binary
    from server_process import Server  # reads PACSPORT_BIN

    with tempfile.TemporaryDirectory(prefix="estimate_accuracy.") as work:
        data = os.path.join(work, "data")
        files, seconds = seed(binary, data, work, args.slices, args.studies)
        print(f"Imported {files} synthetic CT files in {seconds:.1f} s (deflated size measured "
              "at ingest).\n")
        server = Server(data, work)
        try:
            api = Api(server.base_url)
            # The synthetic CT: its first study, the patient, the hospital.
            studies = api.list_all("/api/studies", "studies", CT_ADMIN)
            studies.sort(key=lambda s: s["studyDate"])
            patient = studies[0]["patientID"]
            print(f"Synthetic CT: {len(studies)} studies of {args.slices} 512x512 16-bit "
                  "slices, one patient.\n")
            print(HEADER)
            for label, scope, target in (("CT study", "study", studies[0]["studyInstanceUID"]),
                                         ("CT patient", "patient", patient),
                                         ("CT hospital (all)", "all", "")):
                for variant, params in VARIANTS.items():
                    print(row(label, variant, measure(api, CT_ADMIN, scope, target, params)),
                          flush=True)

            print("\npydicom corpus (demo): each hospital's export of all, then the sums and "
                  "the worst single export over every study and every patient.\n")
            print(HEADER)
            singles = {}
            for user, name in (("north-admin", "Northside"), ("river-admin", "Riverside")):
                for variant, params in VARIANTS.items():
                    print(row(f"{name} (all)", variant, measure(api, user, "all", "", params)),
                          flush=True)
                for scope, key, listing in (("study", "studyInstanceUID", "/api/studies"),
                                            ("patient", "patientID", "/api/patients")):
                    items = api.list_all(listing, listing.rsplit("/", 1)[1], user)
                    for item in items:
                        for variant, params in VARIANTS.items():
                            singles.setdefault((scope, variant), []).append(
                                measure(api, user, scope, item[key], params))
            print("\n| exports | variant | count | estimate sum | archive sum | error of sum | "
                  "within 15 % | worst |\n|---|---|---|---|---|---|---|---|")
            for (scope, variant), results in singles.items():
                estimated = sum(r[0]["estimatedBytes"] for r in results)
                real = sum(r[1] for r in results)
                errors = [(r[0]["estimatedBytes"] - r[1]) / r[1] for r in results]
                inside = sum(1 for e in errors if abs(e) <= 0.15)
                worst = max(errors, key=abs)
                print(f"| every {scope} | {variant} | {len(results)} | {estimated} | {real} | "
                      f"{error(estimated, real)} | {inside} of {len(results)} | "
                      f"{100 * worst:+.1f} % |")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
