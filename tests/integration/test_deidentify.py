"""De-identified exports (PS3.15 Annex E basic profile, docs/decisions/0016), checked
from outside: every byte of a de-identified archive (every entry decompressed) is
searched for every identifier of the corpus files it holds; dciodvfy (dicom3tools)
finds no error the original did not have; gdcmanon (GDCM, an independent
implementation of the profile) removes or empties nothing that pacsport keeps;
pseudonyms link within a project and not across; a real Orthanc imports the output
and shows no identifier; the researcher policy refuses a plain export."""

import hashlib
import io
import json
import re
import subprocess
import time
import zipfile

import pydicom
import pytest

from archive_checks import validate_document
from corpus import NORTH
from orthanc_process import Orthanc
from server_process import run_cli

ADMIN = "north-admin"
RESEARCHER = "north-researcher"
ALL_OPTIONS = ("retain-longitudinal-modified-dates,retain-patient-characteristics,"
               "retain-device-identity,clean-descriptors")
# Shown in every corpus file but identifying nothing (manufacturers, not people).
NAME_KEYWORDS = ("PatientName", "ReferringPhysicianName", "PerformingPhysicianName",
                 "OperatorsName", "NameOfPhysiciansReadingStudy", "OtherPatientNames")
ID_KEYWORDS = ("PatientID", "OtherPatientIDs", "AccessionNumber", "PatientBirthDate",
               "InstitutionName", "InstitutionAddress", "StationName", "DeviceSerialNumber",
               "StudyID", "RequestingPhysician")
UID_KEYWORDS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID",
                "FrameOfReferenceUID")


def deidentified(project, options="", burned_in=False):
    params = {"deidentify": "basic", "project": project}
    if options:
        params["deidentifyOptions"] = options
    if burned_in:
        params["includeBurnedIn"] = "true"
    return params


def entries(archive_bytes):
    """name -> decompressed bytes of every entry (Python's zipfile, independent)."""
    with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def identifiers(corpus_file):
    """The identifying strings of one corpus file, in the forms they may take: whole
    names and IDs of 4 characters or more, name components of 5 or more, digits only
    from 6 (shorter ones occur by chance in pixel data and PNG bytes); never a string
    of one repeated character (placeholders such as 000000000), nor the file's own
    Manufacturer, which the profile keeps (a manufacturer identifies no one; some
    corpus files repeat it as their InstitutionName)."""
    ds = corpus_file.dataset
    found = set()
    for keyword in NAME_KEYWORDS:
        for name in str(ds.get(keyword, "") or "").split("\\"):
            found.add(name)
            found.update(part for part in re.split(r"[\^= ]+", name) if len(part) >= 5)
    for keyword in ID_KEYWORDS:
        found.update(str(ds.get(keyword, "") or "").split("\\"))
    for keyword in UID_KEYWORDS:
        found.add(str(ds.get(keyword, "") or ""))
    kept = str(ds.get("Manufacturer", "") or "").strip()
    return {v for v in (value.strip() for value in found)
            if len(v) >= 4 and len(set(v)) > 1 and v != kept
            and not (v.isdigit() and len(v) < 6)}


def corpus_file_of(corpus, original_sha256):
    return corpus.by_sha256[original_sha256]


@pytest.fixture(scope="module")
def north_instances(api, corpus):
    """sha256 of the original -> the instance as the browse API shows it (north), for
    the corpus files (other modules add crafted instances of their own)."""
    found = {}
    for study in api.list_all("/api/studies", "studies", ADMIN):
        detail = api.get_json(f"/api/studies/{study['studyInstanceUID']}", ADMIN)
        for instance in detail["instances"]:
            if instance["sha256"] not in corpus.by_sha256:
                continue
            found[instance["sha256"]] = dict(instance, studyInstanceUID=study["studyInstanceUID"],
                                             patientID=study["patientID"])
    return found


@pytest.fixture(scope="module")
def all_deidentified(api):
    response = api.export("all", user=ADMIN,
                          params=dict(deidentified("leak-check"), includeImages="true"))
    assert response.status == 200, response.body[:300]
    assert response.complete
    return response


def test_no_original_identifier_anywhere_in_the_archive(all_deidentified, corpus,
                                                        north_instances):
    files = entries(all_deidentified.body)
    everything = b"\n".join(list(files.values()) + [name.encode() for name in files])
    name = all_deidentified.header("Content-Disposition")
    secrets = set()
    for sha256 in north_instances:
        secrets |= identifiers(corpus_file_of(corpus, sha256))
    # Manufacturers are kept by the profile; a few corpus files repeat one (or part of
    # one: TOSHIBA of TOSHIBA_MEC) as their InstitutionName, so that string is
    # legitimately in the archive, as the Manufacturer.
    manufacturers = {corpus_file_of(corpus, s).text("Manufacturer") for s in north_instances}
    secrets = {s for s in secrets if not any(s in m for m in manufacturers)}
    assert len(secrets) > 50, secrets
    leaked = sorted(s for s in secrets if s.encode() in everything or s in name)
    assert leaked == [], leaked
    dicoms = [data for entry, data in files.items() if entry.endswith(".dcm")]
    assert len(dicoms) >= len(north_instances)  # and any crafted instances
    for data in dicoms:
        assert data[:128] == bytes(128), "the preamble must be zeros"
        ds = pydicom.dcmread(io.BytesIO(data))
        assert ds.PatientIdentityRemoved == "YES"
        assert ds.PatientID.startswith("ANON-")
        assert ds.SOPInstanceUID.startswith("2.25.")
        assert "113100" in [item.CodeValue for item in ds.DeidentificationMethodCodeSequence]
        assert not [e for e in ds if e.tag.is_private and e.tag.element >= 0x1000
                    and e.tag.group not in (0x0019, 0x0043)]


def test_metadata_and_checksums_describe_the_deidentified_files(all_deidentified):
    files = entries(all_deidentified.body)
    document = json.loads(files["all_data.json"])
    assert document["metadata"]["deidentification"]["project"] == "leak-check"
    for patient in document["patients"]:
        assert patient["patientID"].startswith("ANON-")
        assert patient["birthDate"] == ""
        assert patient["folder"].startswith("patients/ANON-")
    for study in document["studies"]:
        assert study["accessionNumber"] == "" and study["studyDescription"] == ""
        assert study["studyInstanceUID"].startswith("2.25.")
    for instance in document["instances"]:
        data = files[instance["file"]]
        assert instance["sha256"] == hashlib.sha256(data).hexdigest()
        assert instance["size"] == len(data)
        assert pydicom.dcmread(io.BytesIO(data)).SOPInstanceUID == instance["sopInstanceUID"]
    manifest = dict(reversed(line.split("  ", 1)) for line in
                    files["checksums.sha256"].decode().splitlines())
    for entry, data in files.items():
        if entry not in ("checksums.sha256", "receipt.json"):
            assert manifest[entry] == hashlib.sha256(data).hexdigest(), entry
    if "receipt.json" in files:
        receipt = json.loads(files["receipt.json"])
        assert "ANON" in receipt["archiveName"] or receipt["scope"] == "all"


@pytest.mark.parametrize("scope", ["all", "patient", "study"])
@pytest.mark.parametrize("export_format", ["zip", "json"])
@pytest.mark.parametrize("options", ["", ALL_OPTIONS])
def test_deidentified_documents_follow_the_published_schemas(api, north_instances, scope,
                                                            export_format, options):
    """docs/schemas hold for de-identified documents too: in an archive (sizes and
    checksums of the de-identified files) and as JSON alone (no files, so none)."""
    instance = next(iter(north_instances.values()))
    target = {"all": "", "patient": instance["patientID"],
              "study": instance["studyInstanceUID"]}[scope]
    params = dict(deidentified("schemas", options), format=export_format)
    if export_format == "zip":
        params["includeImages"] = "true"  # export-all's default is metadata only
    response = api.export(scope, target, user=ADMIN, params=params)
    assert response.status == 200, response.body[:300]
    document = json.loads(response.body if export_format == "json"
                          else entries(response.body)[f"{scope}_data.json"])
    validate_document(scope, document)
    assert document["instances"]
    for described in document["instances"]:
        assert (described["sha256"] is None) == (export_format == "json")


def test_previews_with_burned_in_text_are_withheld_and_said_so(all_deidentified):
    files = entries(all_deidentified.body)
    document = json.loads(files["all_data.json"])
    withheld = [i for i in document["instances"]
                if "withheld from a de-identified export" in (i.get("previewError") or "")]
    assert withheld, "the corpus has US/SC/OT images: their previews must be withheld"
    for instance in withheld:
        assert instance["previews"] == []


def dicom_errors(path):
    """dciodvfy's error lines, without the values that de-identification changes."""
    run = subprocess.run(["dciodvfy", path], capture_output=True, text=True)
    return {re.sub(r"<[^>]*>|\[[^\]]*\]|\d+", "", line).strip()
            for line in (run.stdout + run.stderr).splitlines() if line.startswith("Error")}


def retained_uid_pairs(api, corpus, north_instances, project, limit):
    """(corpus file, de-identified bytes) of the first `limit` studies of north,
    exported with retain-uids so that each output names its original."""
    by_sop = {corpus.by_sha256[s].sop_instance_uid: corpus.by_sha256[s] for s in north_instances}
    pairs = []
    for uid in sorted({i["studyInstanceUID"] for i in north_instances.values()})[:limit]:
        response = api.export("study", uid, user=ADMIN,
                              params=deidentified(project, "retain-uids"))
        assert response.status == 200, response.body[:300]
        files = entries(response.body)
        for instance in json.loads(files["study_data.json"])["instances"]:
            pairs.append((by_sop[instance["sopInstanceUID"]], files[instance["file"]]))
    return pairs


def test_dciodvfy_finds_no_new_error(api, corpus, north_instances, tmp_path):
    pairs = retained_uid_pairs(api, corpus, north_instances, "iod-check", 40)
    assert len(pairs) >= 20
    out = tmp_path / "out.dcm"
    for original, data in pairs:
        out.write_bytes(data)
        new_errors = dicom_errors(str(out)) - dicom_errors(original.path)
        assert new_errors == set(), (original.path, new_errors)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A throwaway certificate for gdcmanon's encryption of the removed attributes."""
    directory = tmp_path_factory.mktemp("gdcm")
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=pacsport-test"],
                   check=True, capture_output=True)
    return str(cert)


# The profile's dummy values (action D), which carry no information.
DUMMIES = {"ANONYMIZED", "19000101", "000000", "19000101000000", "0", "000Y"}


def empty(element):
    return element is None or element.value in (None, "", b"") or (
        element.VR == "SQ" and len(element.value) == 0)


def emptied(element):
    """Removed, empty, or a dummy value."""
    return empty(element) or (element.VR != "SQ" and str(element.value) in DUMMIES)


def test_gdcmanon_removes_nothing_that_pacsport_keeps(api, corpus, north_instances,
                                                      certificate, tmp_path):
    pairs = retained_uid_pairs(api, corpus, north_instances, "gdcm-check", 40)
    compared = 0
    for original, data in pairs:
        reference = tmp_path / "gdcm.dcm"
        run = subprocess.run(["gdcmanon", "-e", "-c", certificate, "-i", original.path, "-o",
                              str(reference)], capture_output=True)
        if run.returncode != 0:
            continue  # gdcmanon refuses some odd files of the corpus
        theirs = pydicom.dcmread(str(reference), force=True)
        ours = pydicom.dcmread(io.BytesIO(data))
        for element in original.dataset:
            tag = element.tag
            if tag.is_private or tag.group == 0x0002 or tag.element == 0 or empty(element):
                continue
            if not empty(theirs.get(tag)):
                continue  # gdcmanon keeps it: the profile may (or an option does)
            if element.VR == "UI":
                continue  # kept by retain-uids, the option this comparison is made with
            if element.keyword == "ContentSequence":
                # D in the current Table E.1-1: an SR's content tree is kept and cleaned
                # item by item; GDCM 3.0 follows an older edition that empties it.
                continue
            if element.keyword in ("PatientID", "PatientName"):
                assert ours[tag].value.startswith("ANON-") if element.keyword == "PatientID" \
                    else str(ours[tag].value).startswith("ANON-")
                continue
            assert emptied(ours.get(tag)), (original.path, element.keyword or str(tag),
                                          ours.get(tag))
        compared += 1
    assert compared >= 20, compared


def study_export(api, uid, project, user=ADMIN):
    response = api.export("study", uid, user=user, params=deidentified(project))
    assert response.status == 200, response.body[:300]
    files = entries(response.body)
    document = json.loads(files["study_data.json"])
    return response, files, document


def test_pseudonyms_link_within_a_project_and_not_across(api, north_instances):
    instance = next(iter(north_instances.values()))
    uid, patient_id = instance["studyInstanceUID"], instance["patientID"]
    first, _, one = study_export(api, uid, "alpha")
    _, _, two = study_export(api, uid, "alpha")
    _, _, other = study_export(api, uid, "beta")
    assert one["patient"]["patientID"] == two["patient"]["patientID"]
    assert one["study"]["studyInstanceUID"] == two["study"]["studyInstanceUID"]
    assert [i["sopInstanceUID"] for i in one["instances"]] == \
        [i["sopInstanceUID"] for i in two["instances"]]
    assert one["patient"]["patientID"] != other["patient"]["patientID"]
    assert one["study"]["studyInstanceUID"] != other["study"]["studyInstanceUID"]
    assert not set(i["sopInstanceUID"] for i in one["instances"]) & \
        set(i["sopInstanceUID"] for i in other["instances"])
    # The download is named after the pseudonym, never the original UID.
    assert one["study"]["studyInstanceUID"] in first.header("Content-Disposition")
    assert uid not in first.header("Content-Disposition")
    # A patient export of the same project links up with the study export.
    response = api.export("patient", patient_id, user=ADMIN, params=deidentified("alpha"))
    assert response.status == 200
    patient_document = json.loads(entries(response.body)["patient_data.json"])
    assert patient_document["patient"]["patientID"] == one["patient"]["patientID"]
    assert one["study"]["studyInstanceUID"] in \
        [s["studyInstanceUID"] for s in patient_document["studies"]]
    assert patient_id not in response.header("Content-Disposition")


def test_modified_dates_keep_intervals(api, north_instances, corpus):
    instance = next(iter(north_instances.values()))
    original = corpus.by_sha256[next(iter(north_instances))]
    _, files, document = study_export(api, instance["studyInstanceUID"], "dates")
    response = api.export("study", instance["studyInstanceUID"], user=ADMIN,
                          params=deidentified("dates", ALL_OPTIONS))
    assert response.status == 200
    shifted = json.loads(entries(response.body)["study_data.json"])
    assert document["study"]["studyDate"] == ""  # basic profile: no dates
    if instance_has_date(original):
        assert shifted["study"]["studyDate"] not in ("", original.text("StudyDate"))


def instance_has_date(corpus_file):
    return len(corpus_file.text("StudyDate")) == 8


def test_reimported_into_orthanc_shows_no_identifier(api, corpus, north_instances,
                                                     tmp_path_factory):
    uids = sorted({i["studyInstanceUID"] for i in north_instances.values()})[:8]
    with Orthanc.running(tmp_path_factory.mktemp("orthanc-deid")) as orthanc:
        uploaded = 0
        for uid in uids:
            _, files, document = study_export(api, uid, "orthanc-check")
            secrets = set()
            for sha256, instance in north_instances.items():
                if instance["studyInstanceUID"] == uid:
                    secrets |= identifiers(corpus.by_sha256[sha256])
            for instance in document["instances"]:
                upload = orthanc.upload(files[instance["file"]], instance["file"])
                if upload is None:
                    continue
                # Orthanc's ID of the de-identified file is the one the document gives.
                assert upload.orthanc_id == instance["orthancInstanceId"]
                tags = json.dumps(orthanc.get_json(f"/instances/{upload.orthanc_id}/tags"))
                leaked = sorted(s for s in secrets if s in tags)
                assert leaked == [], leaked
                uploaded += 1
        assert uploaded >= 8, uploaded


@pytest.fixture(scope="module")
def researcher(data_dir, api):
    added = run_cli("user", "add", "--data", data_dir, "--hospital", NORTH, "--role",
                    "researcher", RESEARCHER, stdin=RESEARCHER + "-pass\n")
    assert added.returncode == 0, added.stderr
    return RESEARCHER


def test_researcher_policy_refuses_a_plain_export(api, researcher, north_instances):
    uid = next(iter(north_instances.values()))["studyInstanceUID"]
    plain = api.export("study", uid, user=researcher)
    assert plain.status == 403, plain.body[:300]
    assert "policy" in plain.json()["error"]["message"]
    job = api.request("POST", "/api/export/jobs", token=api.token(researcher),
                      body=json.dumps({"scope": "study", "ids": [uid]}),
                      content_type="application/json")
    assert job.status == 403, job.body[:300]
    allowed = api.export("study", uid, user=researcher, params=deidentified("research"))
    assert allowed.status == 200
    assert json.loads(entries(allowed.body)["study_data.json"])["patient"]["patientID"] \
        .startswith("ANON-")


@pytest.mark.parametrize("params, named", [
    ({"deidentify": "full", "project": "p"}, "profile"),
    ({"deidentify": "basic"}, "project"),
    ({"deidentify": "basic", "project": "a/b"}, "project"),
    ({"deidentify": "basic", "project": "p", "deidentifyOptions": "retain-all"}, "retain-all"),
    ({"deidentify": "basic", "project": "p", "includeBurnedIn": "maybe"}, "includeBurnedIn"),
    ({"project": "p"}, "deidentify"),
])
def test_invalid_deidentification_is_refused_naming_it(api, north_instances, params, named):
    uid = next(iter(north_instances.values()))["studyInstanceUID"]
    response = api.export("study", uid, user=ADMIN, params=params)
    assert response.status == 400, response.body[:300]
    assert named in response.json()["error"]["message"]


def test_job_with_deidentify_delivers_a_deidentified_archive(api, north_instances):
    instance = next(iter(north_instances.values()))
    body = {"scope": "study", "ids": [instance["studyInstanceUID"]],
            "deidentify": {"profile": "basic", "project": "alpha",
                           "options": ["retain-patient-characteristics"],
                           "includeBurnedIn": False}}
    token = api.token(ADMIN)
    created = api.request("POST", "/api/export/jobs", token=token, body=json.dumps(body),
                          content_type="application/json")
    assert created.status in (200, 201, 202), created.body[:300]
    job = created.json()
    assert job["deidentify"]["project"] == "alpha"
    assert instance["studyInstanceUID"] not in job["archiveName"]
    for _ in range(300):
        job = api.get_json(f"/api/export/jobs/{job['id']}", ADMIN)
        if job["state"] in ("done", "failed", "cancelled"):
            break
        time.sleep(0.1)
    assert job["state"] == "done", job
    archive = api.get(f"/api/export/jobs/{job['id']}/archive", user=ADMIN)
    assert archive.status == 200
    document = json.loads(entries(archive.body)["study_data.json"])
    assert document["patient"]["patientID"].startswith("ANON-")
    assert document["study"]["studyInstanceUID"] not in (instance["studyInstanceUID"],)
