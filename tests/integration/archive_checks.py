"""Independent checks of an export: the ZIP against three readers (unzip, Python's
zipfile, bsdtar), the manifest against sha256sum, the previews against pngcheck, the
metadata document against docs/schemas, and every DICOM file against the corpus it
came from (pydicom). Layout and numbering as docs/export-format.md specifies."""

import io
import json
import os
import re
import struct
import subprocess
import urllib.parse
import zipfile

import jsonschema

from api_client import quote
from server_process import REPO

SCHEMA_DIR = os.path.join(REPO, "docs", "schemas")
METADATA_NAMES = {"study": "study_data.json", "patient": "patient_data.json", "all": "all_data.json"}
MANIFEST = "checksums.sha256"
# The signed receipt, the last entry, after the manifest (docs/export-format.md, "Receipt").
RECEIPT = "receipt.json"
# The corpus's only image whose pixels cannot be decoded: its JPEG 2000 codestream's
# SIZ marker holds the bytes of a sequence delimiter, and OpenJPEG refuses it too.
UNDECODABLE_IMAGES = {"JPEG2000-embedded-sequence-delimiter.dcm"}
MANIFEST_LINE = re.compile(r"^([0-9a-f]{64})  (\S(?:.*\S)?)$")
SAFE_NAME = re.compile(r"^[A-Za-z0-9_-]([A-Za-z0-9._-]*[A-Za-z0-9_-])?$")
# What no file name derived from data may hold: separators, characters Windows refuses,
# control characters, leading or trailing dots and spaces.
UNSAFE_IN_NAMES = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f]|^[. ]|[. ]$')
# Names Windows cannot create: device names, alone or before an extension (docs/export-format.md).
WINDOWS_DEVICE = re.compile(r"^(CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|(COM|LPT)[0-9\u00b9\u00b2\u00b3]) *(\..*)?$",
                            re.IGNORECASE)
DISPOSITION = re.compile(r"""^attachment; filename="([^"\\]*)"(?:; filename\*=UTF-8''([A-Za-z0-9!#$&+.^_`|~%-]+))?$""")
EXPORT_ALL_DISPOSITION = re.compile(r'^attachment; filename="export_all_\d{8}T\d{6}Z\.zip"$')


def load_schema(scope):
    with open(os.path.join(SCHEMA_DIR, f"{scope}-export.schema.json")) as f:
        return json.load(f)


def portable(component):
    """True when one path component extracts under its own name on Windows too."""
    return not WINDOWS_DEVICE.match(component) and not component.endswith((".", " "))


def expected_folder_base(identifier):
    """The folder name docs/export-format.md gives an ID without characters to sanitize:
    before any `_N` suffix."""
    base = identifier or "unknown"
    return "_" + base if WINDOWS_DEVICE.match(base) else base


def download_name(disposition):
    """The file name a browser saves `Content-Disposition` as (RFC 6266): the UTF-8
    filename* when present, else the quoted ASCII filename, which must be safe either way."""
    match = DISPOSITION.match(disposition)
    assert match, f"not an attachment with a quoted file name: {disposition!r}"
    fallback, encoded = match.groups()
    assert all(" " <= c <= "~" for c in fallback), disposition
    return urllib.parse.unquote(encoded, errors="strict") if encoded else fallback


def validate_document(scope, document):
    schema = load_schema(scope)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(document)


def png_dimensions(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def export_order_key(instance):
    """Series number, instance number (absent ones last), then SOP Instance UID."""
    series, number = instance["seriesNumber"], instance["instanceNumber"]
    return (series is None, series or 0, number is None, number or 0, instance["sopInstanceUID"])


def run(args, cwd=None):
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)


class ZipUnderTest:
    """A downloaded archive, checked by three readers as soon as it is opened."""

    def __init__(self, data, directory):
        self.data = data
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.path = os.path.join(directory, "archive.zip")
        with open(self.path, "wb") as f:
            f.write(data)
        tested = run(["unzip", "-t", "-qq", self.path])
        assert tested.returncode == 0, f"unzip -t failed: {tested.stdout}{tested.stderr}"
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        assert self.zip.testzip() is None
        self.names = self.zip.namelist()
        assert len(set(self.names)) == len(self.names), "duplicate entry names"
        for name in self.names:
            parts = name.split("/")
            assert "\\" not in name and all(p not in ("", ".", "..") for p in parts), name
            assert all(portable(p) for p in parts), f"{name} does not extract on Windows"
        # What case-insensitive file systems (Windows, macOS) would merge, every prefix
        # of every name included: a folder "AB" and a folder "ab" are one folder there.
        paths = {"/".join(n.split("/")[:i]) for n in self.names for i in range(1, n.count("/") + 2)}
        assert len({p.casefold() for p in paths}) == len(paths), "names that differ only by case"
        listed = run(["bsdtar", "-tf", self.path])
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.splitlines() == self.names, "bsdtar lists other entries than zipfile"
        self.extracted = os.path.join(directory, "extracted")
        unzipped = run(["unzip", "-q", self.path, "-d", self.extracted])
        assert unzipped.returncode == 0, unzipped.stderr

    def read(self, name):
        return self.zip.read(name)

    def json(self, name):
        return json.loads(self.read(name))

    def check_manifest(self):
        """checksums.sha256 is the last entry but receipt.json, covers every other entry
        exactly once and passes `sha256sum -c` in the extracted folder."""
        assert self.names[-2:] == [MANIFEST, RECEIPT]
        lines = self.read(MANIFEST).decode().splitlines()
        covered = []
        for line in lines:
            match = MANIFEST_LINE.match(line)
            assert match, f"not sha256sum format: {line!r}"
            covered.append(match.group(2))
        assert sorted(covered) == sorted(n for n in self.names if n != MANIFEST)
        checked = run(["sha256sum", "-c", "--strict", "--quiet", MANIFEST], cwd=self.extracted)
        assert checked.returncode == 0, f"sha256sum -c failed: {checked.stdout}{checked.stderr}"

    def check_pngs(self, names):
        if not names:
            return
        checked = run(["pngcheck", "-q", *names], cwd=self.extracted)
        assert checked.returncode == 0, f"pngcheck failed: {checked.stdout}{checked.stderr}"


class ExportChecker:
    """Checks whole exports against the corpus, the schemas and the browse API."""

    def __init__(self, corpus, api, tmp_path_factory):
        self.corpus = corpus
        self.api = api
        self.tmp_path_factory = tmp_path_factory

    def open_zip(self, response, label):
        assert response.status == 200, (label, response.status, response.body[:300])
        assert response.complete, f"{label}: the chunked body ended without its final chunk"
        assert response.header("Content-Type") == "application/zip"
        assert response.header("Transfer-Encoding") == "chunked"
        assert response.header("Content-Length") is None
        directory = str(self.tmp_path_factory.mktemp(re.sub(r"[^A-Za-z0-9]", "_", label)[:60]))
        return ZipUnderTest(response.body, directory)

    def expected_orthanc_id(self, source):
        """The orthancInstanceId of a file: Orthanc's ID computed from its identifiers as
        pydicom reads them (a checker of a real Orthanc's data asks that Orthanc instead)."""
        return source.orthanc_id()

    def check_instance(self, instance, data):
        """One DICOM entry: byte-identical to a corpus file, described truthfully."""
        source = self.corpus.by_sha256.get(instance["sha256"])
        assert source is not None, f"{instance['file']} is not a corpus file"
        assert data == source.data, f"{instance['file']} differs from {source.path}"
        assert instance["size"] == len(data)
        ds = source.dataset
        assert instance["sopInstanceUID"] == source.text("SOPInstanceUID")
        assert instance["studyInstanceUID"] == source.text("StudyInstanceUID")
        assert instance["seriesInstanceUID"] == source.text("SeriesInstanceUID")
        assert instance["patientID"] == source.text("PatientID")
        assert instance["seriesNumber"] == source.integer("SeriesNumber"), source.path
        assert instance["instanceNumber"] == source.integer("InstanceNumber"), source.path
        assert instance["orthancInstanceId"] == self.expected_orthanc_id(source), source.path
        frames = source.integer("NumberOfFrames")
        expected_frames = frames if frames and frames > 0 else int("PixelData" in ds)
        assert instance["numberOfFrames"] == expected_frames, source.path
        syntax = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
        if syntax:
            assert instance["transferSyntaxUID"] == str(syntax).strip(), source.path
        return source

    def check_study_group(self, archive, study_uid, instances, dicom_prefix, preview_prefix,
                          with_previews=True):
        """The instances of one study: order, 1-based numbering, previews numbered from 0
        across the study, each entry checked. Returns the expected entry names in order."""
        assert all(i["studyInstanceUID"] == study_uid for i in instances)
        assert instances == sorted(instances, key=export_order_key), "instances out of export order"
        expected = []
        frame = 0
        for number, instance in enumerate(instances, start=1):
            assert instance["file"] == f"{dicom_prefix}{number}.dcm"
            expected.append(instance["file"])
            source = self.check_instance(instance, archive.read(instance["file"]))
            previews = instance["previews"]
            if not with_previews:
                assert previews == [] and "previewError" not in instance
            elif "previewError" in instance:
                assert previews == [], "an instance with previewError lists previews"
                # Everything else in the corpus renders, JPEG 2000 included.
                assert instance["numberOfFrames"] == 0 or \
                    os.path.basename(source.path) in UNDECODABLE_IMAGES, (source.path, instance)
            else:
                assert len(previews) == instance["numberOfFrames"], (source.path, previews)
            for preview in previews:
                assert preview == f"{preview_prefix}frame_{frame}.png"
                frame += 1
                width, height = png_dimensions(archive.read(preview))
                assert (width, height) == (source.integer("Columns"), source.integer("Rows")), preview
            expected.extend(previews)
        archive.check_pngs([p for i in instances for p in i["previews"]])
        return expected

    def check_without_images(self, archive, scope, document):
        assert archive.names == [METADATA_NAMES[scope], MANIFEST, RECEIPT]
        assert document["metadata"]["includesImages"] is False
        for instance in document["instances"]:
            assert instance["file"] is None and instance["previews"] == []

    def check_api_consistency(self, user, document, studies):
        """The export says what the browse API says."""
        by_uid = {}
        for study in studies:
            api_study = self.api.get_json(f"/api/studies/{study['studyInstanceUID']}", user)
            api_instances = api_study.pop("instances")
            assert {k: v for k, v in study.items() if k != "folder"} == api_study
            by_uid[study["studyInstanceUID"]] = api_instances
        exported = [{k: v for k, v in i.items() if k not in ("file", "previews", "previewError")}
                    for i in document["instances"]]
        assert exported == [i for s in studies for i in by_uid[s["studyInstanceUID"]]]
        assert sum(s["numberOfInstances"] for s in studies) == len(document["instances"])

    def check_metadata(self, document, scope, user, hospital, includes_images):
        validate_document(scope, document)
        metadata = document["metadata"]
        assert metadata["exportedBy"] == user
        assert metadata["hospital"] == hospital
        assert metadata["exportType"] == scope
        assert metadata["includesImages"] is includes_images
        patients = document["patients"] if scope == "all" else [document["patient"]]
        for patient in patients:
            assert patient["exportDate"] == metadata["exportedAt"]
            if scope != "all" or not includes_images:
                assert patient["folder"] is None, patient
        for study in document["studies"] if scope != "study" else [document["study"]]:
            if scope == "study" or not includes_images:
                assert study["folder"] is None, study

    def check_study_export(self, response, user, hospital, study_uid, with_images=True,
                           with_previews=True):
        archive = self.open_zip(response, f"study_{study_uid}")
        assert response.header("Content-Disposition") == \
            f'attachment; filename="study_{study_uid}_export.zip"'
        document = archive.json("study_data.json")
        assert set(document) == {"patient", "study", "instances", "metadata"}
        self.check_metadata(document, "study", user, hospital, with_images)
        assert document["study"]["studyInstanceUID"] == study_uid
        assert document["patient"]["patientID"] == document["study"]["patientID"]
        self.check_api_consistency(user, document, [document["study"]])
        if with_images:
            names = self.check_study_group(archive, study_uid, document["instances"],
                                           "dicom/", "previews/", with_previews)
            assert archive.names == names + ["study_data.json", MANIFEST, RECEIPT]
        else:
            self.check_without_images(archive, "study", document)
        archive.check_manifest()
        return archive, document

    def check_all_export(self, response, user, hospital, with_images):
        archive = self.open_zip(response, "export_all")
        assert EXPORT_ALL_DISPOSITION.match(response.header("Content-Disposition"))
        document = archive.json("all_data.json")
        assert set(document) == {"patients", "studies", "instances", "metadata"}
        self.check_metadata(document, "all", user, hospital, with_images)
        # The API lists the patients with a Patient ID, each with its size; the export of
        # all also holds the studies without one, under the empty Patient ID.
        patients = self.api.list_all("/api/patients", "patients", user)
        assert [{k: v for k, v in p.items() if k not in ("exportDate", "folder")}
                for p in document["patients"] if p["patientID"]] == \
            [{k: v for k, v in p.items() if k != "totalBytes"} for p in patients]
        order = [p["patientID"] for p in document["patients"]]
        studies = document["studies"]
        assert [s["patientID"] for s in studies] == sorted((s["patientID"] for s in studies),
                                                           key=order.index)
        self.check_api_consistency(user, document, studies)
        if not with_images:
            self.check_without_images(archive, "all", document)
            archive.check_manifest()
            return archive, document
        folders = {}
        names = []
        for study in studies:
            uid = study["studyInstanceUID"]
            instances = [i for i in document["instances"] if i["studyInstanceUID"] == uid]
            match = re.match(r"^patients/([^/]+)/studies/([^/]+)/", instances[0]["file"])
            assert match and study["folder"] == match.group(0)[:-1], (study, instances[0]["file"])
            self.check_folder_name(uid, match.group(2))
            folder = folders.setdefault(study["patientID"], match.group(1))
            assert folder == match.group(1), "one patient's studies in two folders"
            prefix = study["folder"] + "/"
            names += self.check_study_group(archive, uid, instances, prefix, prefix + "previews/")
        assert len({f.casefold() for f in folders.values()}) == len(folders), \
            "two patients share a folder"
        for patient in document["patients"]:
            if patient["patientID"] in folders:
                assert patient["folder"] == "patients/" + folders[patient["patientID"]], patient
        for patient_id, folder in folders.items():
            self.check_folder_name(patient_id, folder)
        assert archive.names == names + ["all_data.json", MANIFEST, RECEIPT]
        archive.check_manifest()
        return archive, document

    @staticmethod
    def check_folder_name(identifier, folder):
        assert not UNSAFE_IN_NAMES.search(folder) and portable(folder), folder
        if not UNSAFE_IN_NAMES.search(identifier):
            base = expected_folder_base(identifier)
            assert re.fullmatch(re.escape(base) + r"(_\d+)?", folder), (identifier, folder)

    def check_patient_export(self, response, user, hospital, patient_id, with_images=True):
        archive = self.open_zip(response, f"patient_{patient_id}")
        disposition = response.header("Content-Disposition")
        if SAFE_NAME.match(patient_id):
            assert disposition == f'attachment; filename="patient_{patient_id}_export.zip"'
        name = download_name(disposition)
        if not patient_id:
            assert name == "patient_unknown_export.zip", disposition
        elif not UNSAFE_IN_NAMES.search(patient_id):
            assert name == f"patient_{patient_id}_export.zip", disposition
        assert name.startswith("patient_") and name.endswith("_export.zip"), disposition
        assert not UNSAFE_IN_NAMES.search(name[len("patient_"):-len("_export.zip")]), disposition
        document = archive.json("patient_data.json")
        assert set(document) == {"patient", "studies", "instances", "metadata"}
        self.check_metadata(document, "patient", user, hospital, with_images)
        patient = document["patient"]
        assert patient["patientID"] == patient_id
        assert patient["studyCount"] == len(document["studies"])
        api_patient = self.api.get_json(f"/api/patients/{quote(patient_id)}", user)
        del api_patient["totalBytes"]  # the API's, not in the export's patient record
        assert {k: v for k, v in patient.items() if k not in ("exportDate", "folder")} == api_patient
        dates = [s["studyDate"] for s in document["studies"]]
        assert dates == sorted(dates, key=lambda d: (d == "", d)), \
            "a patient's studies are exported oldest first, undated last"
        self.check_api_consistency(user, document, document["studies"])
        if with_images:
            names = []
            for study in document["studies"]:
                uid = study["studyInstanceUID"]
                instances = [i for i in document["instances"] if i["studyInstanceUID"] == uid]
                assert study["folder"].startswith("studies/"), study
                self.check_folder_name(uid, study["folder"][len("studies/"):])
                prefix = study["folder"] + "/"
                names += self.check_study_group(archive, uid, instances, prefix,
                                                prefix + "previews/")
            assert archive.names == names + ["patient_data.json", MANIFEST, RECEIPT]
        else:
            self.check_without_images(archive, "patient", document)
        archive.check_manifest()
        return archive, document
