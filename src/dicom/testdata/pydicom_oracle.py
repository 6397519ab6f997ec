#!/usr/bin/python3
"""Independent expectations for dicom_test, computed with pydicom.

  pydicom_oracle.py metadata FILE...   one JSON object per file name: whether
      pydicom reads it completely, and the values ParseInstance must then find.
  pydicom_oracle.py boundaries FILE    JSON list of the byte offsets at which the
      file's top-level dataset elements end (where a cut leaves whole elements).
"""
import json
import sys
import warnings

import pydicom
from pydicom.filereader import data_element_generator, read_preamble, _read_file_meta_info

IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"
PIXEL_TAGS = (0x7FE00008, 0x7FE00009, 0x7FE00010)


def declared_longer_than_read(dataset):
    """True when an element's value stopped short of its declared length: pydicom
    reads such truncated files without complaint."""
    for tag in dataset.keys():
        raw = dataset.get_item(tag)
        length = getattr(raw, "length", None)
        value = getattr(raw, "value", None)
        if length not in (None, 0xFFFFFFFF) and isinstance(value, bytes) and len(value) < length:
            return True
    return False


def frames(dataset):
    try:
        count = int(str(dataset.get("NumberOfFrames", "")).strip())
        if count > 0:
            return count
    except ValueError:
        pass
    return 1 if any(tag in dataset for tag in PIXEL_TAGS) else 0


def transfer_syntax(dataset):
    meta = getattr(dataset, "file_meta", None)
    uid = str(meta.get("TransferSyntaxUID", "")).strip("\0 ") if meta is not None else ""
    if uid:
        return uid
    if dataset.is_implicit_VR:
        return IMPLICIT_LE
    return EXPLICIT_LE if dataset.is_little_endian else EXPLICIT_BE


def text(dataset, keyword):
    value = dataset.get(keyword)
    return "" if value is None else str(value).rstrip("\0 ")


def person_name(dataset):
    """PatientName decoded, with the component groups as stored: str() of a
    PersonName drops empty trailing groups ("Wang^XiaoDong=王^小東=")."""
    value = dataset.get("PatientName")
    if value is None:
        return ""
    groups = list(value.components)
    stored = value.original_string.rstrip(b"\0 ").count(b"=") + 1 if value.original_string else len(groups)
    return "=".join(groups + [""] * (stored - len(groups))).rstrip("\0 ")


def raw_hex(dataset, keyword):
    element = dataset.get_item(keyword)
    value = getattr(element, "value", None) or b""
    return value.rstrip(b"\0 ").hex()


def integer(dataset, keyword):
    try:
        return int(str(dataset.get(keyword, "")).strip())
    except ValueError:
        return None


def metadata(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            raw = pydicom.dcmread(path, force=True, defer_size=None)
            truncated = declared_longer_than_read(raw)
            patient_name_raw = raw_hex(raw, "PatientName")
            dataset = pydicom.dcmread(path, force=True)
            for element in dataset.iterall():
                element.value  # decode everything, as "reads fully" means
            uids = [text(dataset, k) for k in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")]
        except Exception as error:  # pydicom cannot read it: no expectations
            return {"readable": False, "reason": type(error).__name__}
    if not all(uids):
        return {"readable": False, "reason": "missing UID"}
    return {
        "readable": True,
        "truncated": truncated,
        "study_instance_uid": uids[0],
        "series_instance_uid": uids[1],
        "sop_instance_uid": uids[2],
        "patient_id": text(dataset, "PatientID"),
        "patient_name": person_name(dataset),
        "patient_name_raw_hex": patient_name_raw,
        "number_of_frames": frames(dataset),
        "transfer_syntax_uid": transfer_syntax(dataset),
        "series_number": integer(dataset, "SeriesNumber"),
        "instance_number": integer(dataset, "InstanceNumber"),
        "has_window": "WindowCenter" in dataset,
        "rows": int(dataset.get("Rows", 0) or 0),
        "columns": int(dataset.get("Columns", 0) or 0),
    }


def boundaries(path):
    with open(path, "rb") as stream:
        read_preamble(stream, False)
        meta = _read_file_meta_info(stream)
        syntax = str(meta.get("TransferSyntaxUID", EXPLICIT_LE))
        ends = [stream.tell()]
        elements = data_element_generator(stream, syntax == IMPLICIT_LE, syntax != EXPLICIT_BE)
        for _ in elements:
            ends.append(stream.tell())
    return ends


def main():
    mode, paths = sys.argv[1], sys.argv[2:]
    if mode == "metadata":
        print(json.dumps({path: metadata(path) for path in paths}))
    elif mode == "boundaries":
        print(json.dumps(boundaries(paths[0])))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
