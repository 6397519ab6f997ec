"""The DICOM corpus the demo data is seeded from (Debian's pydicom test files), read
independently of pacsport with pydicom: what each file is, which hospital
scripts/seed-demo.sh gives it to, and a map from SHA-256 to file so that every DICOM
file in an export can be traced back to the corpus byte for byte."""

import hashlib
import os
import warnings
from dataclasses import dataclass, field
from functools import cached_property

import pydicom

DEFAULT_CORPUS = "/usr/lib/python3/dist-packages/pydicom/data/test_files"
NORTH = "Northside General"
RIVER = "Riverside Clinic"
# seed-demo.sh imports these into both hospitals.
SHARED_FILES = ("CT_small.dcm", "MR_small.dcm")


def sha256_of(data):
    return hashlib.sha256(data).hexdigest()


def orthanc_instance_id(patient_id, study_uid, series_uid, sop_uid):
    """Orthanc's instance ID: SHA-1 of the four identifiers joined by '|', as five
    groups of eight hex digits."""
    digest = hashlib.sha1("|".join((patient_id, study_uid, series_uid, sop_uid)).encode()).hexdigest()
    return "-".join(digest[i:i + 8] for i in range(0, 40, 8))


def _text(dataset, keyword):
    value = dataset.get(keyword)
    return "" if value is None else str(value).strip()


def _integer(dataset, keyword):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns about invalid IS values
        text = _text(dataset, keyword)
    try:
        return int(text) if text else None
    except ValueError:
        return None


@dataclass
class CorpusFile:
    """One file of the corpus and, when pydicom can read it, its identity."""
    path: str
    data: bytes = field(repr=False)

    @cached_property
    def sha256(self):
        return sha256_of(self.data)

    @cached_property
    def dataset(self):
        """The pydicom dataset, or None when pydicom cannot read the file at all."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return pydicom.dcmread(self.path, force=True)
            except Exception:  # pydicom raises many kinds on broken files
                return None

    def text(self, keyword):
        return _text(self.dataset, keyword)

    def integer(self, keyword):
        return _integer(self.dataset, keyword)

    @property
    def sop_instance_uid(self):
        return self.text("SOPInstanceUID") if self.dataset is not None else ""

    def orthanc_id(self):
        ds = self.dataset
        return orthanc_instance_id(_text(ds, "PatientID"), _text(ds, "StudyInstanceUID"),
                                   _text(ds, "SeriesInstanceUID"), _text(ds, "SOPInstanceUID"))


class Corpus:
    def __init__(self, root=DEFAULT_CORPUS):
        self.root = root
        paths = []
        for directory, _, names in os.walk(root):
            paths.extend(os.path.join(directory, name) for name in names)
        # `find | LC_ALL=C sort` order, as seed-demo.sh uses.
        paths.sort(key=os.fsencode)
        self.files = []
        for path in paths:
            with open(path, "rb") as f:
                self.files.append(CorpusFile(path, f.read()))
        self.by_sha256 = {f.sha256: f for f in self.files}
        self.by_name = {os.path.relpath(f.path, root): f for f in self.files}
        shared = [self.by_name[name] for name in SHARED_FILES]
        self.assigned = {NORTH: self.files[0::2] + shared, RIVER: self.files[1::2] + shared}

    def file(self, name):
        return self.by_name[name]

    def register(self, data, directory):
        """Adds a file a test made (saved under `directory`) to the known sources, so
        that exports holding it can be traced back like corpus files."""
        made = CorpusFile(os.path.join(directory, sha256_of(data) + ".dcm"), data)
        with open(made.path, "wb") as f:
            f.write(data)
        self.by_sha256[made.sha256] = made
        return made

    def sop_uids_of(self, hospital):
        """SOP Instance UIDs of the files seed-demo.sh imports into `hospital`: an upper
        bound of what that hospital may ever show (some files are rejected)."""
        return {f.sop_instance_uid for f in self.assigned[hospital] if f.sop_instance_uid}

    def identifying_strings(self):
        """Patient IDs, patient names and UIDs of the corpus that are long enough not to
        occur by chance in a log line."""
        found = set()
        for f in self.files:
            if f.dataset is None:
                continue
            for keyword in ("PatientID", "PatientName", "StudyInstanceUID", "SOPInstanceUID"):
                value = f.text(keyword)
                if len(value) >= 4:
                    found.add(value)
        return found
