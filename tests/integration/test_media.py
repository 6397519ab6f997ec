"""format=media: a patient's disc (IHE PDI) checked by independent readers.

DCMTK's dcmdump reads the DICOMDIR, dicom3tools' dciodvfy finds it a valid Basic
Directory IOD, and pydicom walks its records; every Referenced
File ID exists; dcmmkdir, run over the extracted files with the profile README.TXT
names, accepts exactly the files the DICOMDIR lists and refuses the ones README.TXT
says were left out; every DICOM file is byte-identical to what was imported; Debian's
Orthanc imports the files the DICOMDIR lists and then holds every one of them;
INDEX.HTM escapes the hostile descriptions of a patient crafted here; estimates of
discs hold."""

import hashlib
import html.parser
import io
import json
import os
import re
import time

import pydicom
import pydicom.uid
import pytest

from api_client import quote
from archive_checks import ZipUnderTest, run, validate_document
from orthanc_process import Orthanc

USER = "north-user"
FILE_ID = re.compile(r"^DICOM/P[0-9]{7}/S[0-9]{7}/SE[0-9]{6}/IM[0-9]{6}$")
PREVIEW = re.compile(r"^IHE_PDI/P[0-9]{7}/S[0-9]{7}/F[0-9]{7}\.PNG$")
FINAL = ("done", "failed", "cancelled")
PROFILE_FLAGS = {"STD-GEN-CD": "-Pgp", "STD-GEN-DVD-JPEG": "-Pdv", "STD-GEN-DVD-J2K": "-Pd2",
                 "STD-GEN-MIME": "-Pmi"}
HOSTILE_DESCRIPTION = "<script>alert('study')</script> & <b>bold</b>"
HOSTILE_NAME = "Media^<script>alert(1)</script>"


def crafted(corpus, name, patient_id, study_uid, description):
    """A corpus file made into an instance of a new study of `patient_id`."""
    ds = pydicom.dcmread(corpus.file(name).path)
    ds.PatientID = patient_id
    ds.PatientName = HOSTILE_NAME
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = pydicom.uid.generate_uid()
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.StudyDescription = description
    out = io.BytesIO()
    ds.save_as(out, write_like_original=False)
    return out.getvalue()


@pytest.fixture(scope="module")
def hostile_patient(api, corpus):
    """A patient of North with two studies whose descriptions and name are markup:
    (Patient ID, {SHA-256: bytes} of the files uploaded)."""
    patient_id = "MEDIA-" + hashlib.sha256(os.urandom(8)).hexdigest()[:8]
    files = [
        crafted(corpus, "CT_small.dcm", patient_id, pydicom.uid.generate_uid(), HOSTILE_DESCRIPTION),
        crafted(corpus, "MR_small.dcm", patient_id, pydicom.uid.generate_uid(), "MR \"quoted\""),
    ]
    for data in files:
        response = api.request("POST", "/api/instances", token=api.token("north-admin"), body=data,
                               content_type="application/dicom")
        assert response.status in (200, 201), response.body
    return patient_id, {hashlib.sha256(d).hexdigest(): d for d in files}


def readme_facts(text):
    """The profile README.TXT names and the files it says DICOMDIR leaves out."""
    profile = re.search(r"^Profile:\s+(\S+)", text, re.MULTILINE).group(1)
    left_out = re.findall(r"^(DICOM/\S+): ", text, re.MULTILINE)
    return profile, left_out


def directory_records(path):
    """File IDs the DICOMDIR references, read with pydicom (not DCMTK)."""
    dicomdir = pydicom.dcmread(path)
    assert dicomdir.file_meta.MediaStorageSOPClassUID == "1.2.840.10008.1.3.10"
    return ["/".join(r.ReferencedFileID) for r in dicomdir.DirectoryRecordSequence
            if "ReferencedFileID" in r]


class IndexPage(html.parser.HTMLParser):
    """The elements and text of INDEX.HTM."""

    def __init__(self):
        super().__init__()
        self.tags, self.images, self.links, self.text = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        if tag in ("a", "link"):
            self.links.append(attrs["href"])

    def handle_data(self, data):
        self.text.append(data)


def check_disc(archive, response, known_bytes):
    """Everything a disc must be; returns (DICOM file IDs, referenced IDs, INDEX text)."""
    names = archive.names
    assert response.header("Content-Type") == "application/zip"
    for required in ("DICOMDIR", "INDEX.HTM", "IHE_PDI/STYLE.CSS", "README.TXT",
                     "checksums.sha256"):
        assert required in names, required
    archive.check_manifest()
    dicom_files = [n for n in names if n.startswith("DICOM/")]
    assert dicom_files and all(FILE_ID.match(n) for n in dicom_files), dicom_files
    previews = [n for n in names if n.startswith("IHE_PDI/") and n.endswith(".PNG")]
    assert all(PREVIEW.match(n) for n in previews), previews
    archive.check_pngs(previews)
    # The DICOMDIR comes after the files it lists, before the pages and the document.
    assert names.index("DICOMDIR") > max(names.index(n) for n in dicom_files + previews)

    # Byte-identical to the files imported.
    for name in dicom_files:
        digest = hashlib.sha256(archive.read(name)).hexdigest()
        assert digest in known_bytes, f"{name} is not byte-identical to any imported file"

    dicomdir = os.path.join(archive.extracted, "DICOMDIR")
    dumped = run(["dcmdump", "-q", dicomdir])
    assert dumped.returncode == 0, dumped.stderr
    assert "DirectoryRecordSequence" in dumped.stdout
    referenced = directory_records(dicomdir)
    assert len(set(referenced)) == len(referenced)
    for file_id in referenced:
        assert os.path.isfile(os.path.join(archive.extracted, file_id)), file_id
    assert "(0004,1500)" in dumped.stdout  # ReferencedFileID, as DCMTK reads it
    # dicom3tools' dciodvfy: the DICOMDIR is a valid Basic Directory IOD. Its records
    # copy values from the files as they are: the only errors it may find are values
    # invalid for their VR that a file on the disc itself holds (old files of the
    # corpus write dates as 1997.04.24).
    verified = run(["dciodvfy", dicomdir])
    report = verified.stdout + verified.stderr
    assert "BasicDirectory" in report, report
    disc_bytes = b"".join(archive.read(n) for n in dicom_files)
    for line in report.splitlines():
        if not line.startswith("Error"):
            continue
        if line == "Error - Dicom dataset contains invalid data values for Value Representations":
            continue
        value = re.search(r"Value invalid for this VR .*?\] = <([^>]*)>", line)
        assert value and value.group(1).encode() in disc_bytes, line

    profile, left_out = readme_facts(archive.read("README.TXT").decode())
    # Every file is either referenced or named as left out, never both.
    assert sorted(referenced + left_out) == sorted(dicom_files)

    # DCMTK's own dcmmkdir, with that profile, agrees on both sets.
    with_profile = ["dcmmkdir", "-q", PROFILE_FLAGS[profile], "+I", "+id", archive.extracted]
    rebuilt = os.path.join(archive.directory, "REBUILT")
    made = run(with_profile + ["+D", rebuilt, *referenced])
    assert made.returncode == 0, made.stdout + made.stderr
    assert sorted(directory_records(rebuilt)) == sorted(referenced)
    for file_id in left_out:
        refused = run(with_profile + ["+D", rebuilt + "_X", file_id])
        assert refused.returncode != 0, f"dcmmkdir accepts {file_id}, which README.TXT says is not"

    page = IndexPage()
    page.feed(archive.read("INDEX.HTM").decode())
    assert "script" not in page.tags
    assert sorted(page.images) == sorted(previews)
    for link in page.links:  # relative, and on the disc
        assert link in names, link
    return dicom_files, referenced, "".join(page.text)


def test_a_patients_disc(api, hostile_patient, tmp_path):
    patient_id, uploaded = hostile_patient
    response = api.export("patient", patient_id, user=USER, params={"format": "media"})
    assert response.status == 200, response.body
    assert f'patient_{patient_id}_media.zip' in response.header("Content-Disposition")
    archive = ZipUnderTest(response.body, str(tmp_path / "disc"))
    dicom_files, referenced, text = check_disc(archive, response, uploaded)
    assert len(dicom_files) == 2 and sorted(referenced) == sorted(dicom_files)
    # Two studies of one patient: P0000001, S0000001 and S0000002.
    assert {n.split("/")[2] for n in dicom_files} == {"S0000001", "S0000002"}
    assert HOSTILE_DESCRIPTION in text and "Media <script>alert(1)</script>" in text
    raw = archive.read("INDEX.HTM").decode()
    assert "&lt;script&gt;alert(&#39;study&#39;)&lt;/script&gt;" in raw or \
        "&lt;script&gt;alert(&apos;study&apos;)&lt;/script&gt;" in raw, raw
    readme = archive.read("README.TXT").decode()
    assert patient_id not in readme and "script" not in readme
    document = archive.json("patient_data.json")
    validate_document("patient", document)
    assert sorted(i["file"] for i in document["instances"]) == sorted(dicom_files)

    # Orthanc imports the disc and then holds every instance of it.
    sop_uids = {str(pydicom.dcmread(os.path.join(archive.extracted, n)).SOPInstanceUID)
                for n in dicom_files}
    with Orthanc.running(tmp_path / "orthanc") as orthanc:
        accepted = orthanc.upload_files([os.path.join(archive.extracted, n) for n in dicom_files])
        assert len(accepted) == len(dicom_files), orthanc.refused
        held = {facts.sop_uid for facts in orthanc.catalog().values()}
    assert held == sop_uids


def test_a_disc_of_every_corpus_patient_as_a_job(api, corpus, tmp_path):
    """Every patient of North in one disc, a batch made by an export job: the corpus's
    many transfer syntaxes and broken files, against the same checks."""
    patients = [p["patientID"] for p in api.list_all("/api/patients", "patients", USER)]
    patients = [p for p in patients if not p.startswith("MEDIA-")]
    token = api.token(USER)
    submitted = api.request("POST", "/api/export/jobs", token=token, content_type="application/json",
                            body=json.dumps({"scope": "patients", "ids": patients,
                                             "format": "media"}))
    assert submitted.status == 202, submitted.body
    job_id = submitted.json()["id"]
    deadline = time.monotonic() + 60
    while (job := api.get_json(f"/api/export/jobs/{job_id}", USER))["state"] not in FINAL:
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
    assert job["state"] == "done", job
    response = api.get(f"/api/export/jobs/{job_id}/archive", user=USER)
    assert response.status == 200
    archive = ZipUnderTest(response.body, str(tmp_path / "disc"))
    dicom_files, referenced, _ = check_disc(archive, response, corpus.by_sha256)
    assert referenced
    assert {n.split("/")[1] for n in dicom_files} == \
        {f"P{i:07d}" for i in range(1, len(patients) + 1)}
    validate_document("all", archive.json("batch_data.json"))

    # Orthanc imports every file the DICOMDIR lists and then holds each of them.
    listed = {str(pydicom.dcmread(os.path.join(archive.extracted, n)).SOPInstanceUID)
              for n in referenced}
    with Orthanc.running(tmp_path / "orthanc") as orthanc:
        accepted = orthanc.upload_files([os.path.join(archive.extracted, n) for n in referenced])
        assert len(accepted) == len(referenced), orthanc.refused
        held = {facts.sop_uid for facts in orthanc.catalog().values()}
    assert held == listed


def test_a_job_cannot_make_a_disc_of_everything(api):
    response = api.request("POST", "/api/export/jobs", token=api.token("north-admin"),
                           content_type="application/json",
                           body=json.dumps({"scope": "all", "format": "media"}))
    assert response.status == 400, response.body
    assert "not an export of all" in response.json()["error"]["message"]


@pytest.mark.parametrize("path, params, message", [
    ("/api/export/all", {"format": "media"}, "not an export of all"),
    ("/api/export/patient/x", {"format": "media", "includeImages": "false"}, "includeImages"),
    ("/api/export/patient/x", {"format": "iso"}, "format must be zip, json or media"),
])
def test_what_is_not_a_disc_is_refused(api, path, params, message):
    user = "north-admin"
    response = api.get(path, user=user, params=params)
    assert response.status == 400, response.body
    assert message in response.json()["error"]["message"]


def test_estimates_of_discs_hold_in_sum(api):
    """GET /api/export/estimate/patient/...?format=media counts the disc's own entries
    (DICOMDIR, INDEX.HTM, README.TXT, the style sheet) and its File IDs: over every
    patient of North, within 15 % of the discs made (as estimates with previews are
    held in tests/integration/test_export_estimates.py)."""
    estimated = made = 0
    for patient in api.list_all("/api/patients", "patients", USER):
        target = quote(patient["patientID"])
        estimate = api.get_json(f"/api/export/estimate/patient/{target}", USER, {"format": "media"})
        assert estimate["format"] == "media" and estimate["includeImages"] is True
        response = api.export("patient", patient["patientID"], user=USER, params={"format": "media"})
        assert response.status == 200, response.body
        estimated += estimate["estimatedBytes"]
        made += len(response.body)
    assert abs(estimated - made) <= 0.15 * made, (estimated, made)
