#!/usr/bin/python3
"""generate_ct.py OUT_DIR [SLICES] [--studies N] [--patient-id ID]: writes N synthetic CT
studies (default 1) of one patient, each one series of SLICES (default 300) 512x512 16-bit
slices, one file per slice (Explicit VR Little Endian), in OUT_DIR/study_NN/ct_ZZZZ.dcm.
CT-like content: a body ellipse of soft tissue with noise, bone ring, air outside; the
noise differs between studies, so no two files are alike. Every study has its own Study
and Series Instance UIDs and date; all share the patient. Prints each StudyInstanceUID,
one a line, in study order. Deterministic (fixed seed; UIDs derived from the patient ID,
the study and the slice index)."""
import argparse
import datetime
import os

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
SIDE = 512


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split(":")[0])
    parser.add_argument("out_dir")
    parser.add_argument("slices", nargs="?", type=int, default=300)
    parser.add_argument("--studies", type=int, default=1)
    parser.add_argument("--patient-id", default="BENCH-CT")
    args = parser.parse_args()
    if args.slices < 1 or args.studies < 1:
        parser.error("SLICES and --studies must be at least 1")
    return args


def uid(*parts):
    """A UID derived from `parts`. generate_uid concatenates its entropy sources, so
    ("1", "10") and ("11", "0") would collide: join them with a separator first."""
    return generate_uid(entropy_srcs=["/".join(str(p) for p in parts)])


def slice_pixels(rng, study, z, yy, xx):
    """One slice in stored values (HU + 1024, 12 bits)."""
    r = ((xx - 256) / (200 + 20 * np.sin(z / 40 + study))) ** 2 + ((yy - 256) / 150) ** 2
    body, bone = r < 1.0, (r > 0.85) & (r < 1.0)
    image = np.full((SIDE, SIDE), -1000.0)
    image[body] = 40 + rng.normal(0, 12, size=body.sum())
    image[bone] = 700 + rng.normal(0, 40, size=bone.sum())
    return (image + 1024).clip(0, 4095).astype(np.uint16)


def write_slice(path, patient_id, study_index, study_uid, series_uid, z, pixels):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CT_IMAGE_STORAGE
    meta.MediaStorageSOPInstanceUID = uid("bench-instance", patient_id, study_index, z)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientID, ds.PatientName = patient_id, "Bench^CT"
    ds.PatientSex, ds.PatientBirthDate = "O", "19700101"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
    date = datetime.date(2026, 1, 1) + datetime.timedelta(days=study_index)
    ds.StudyDate, ds.StudyTime, ds.Modality = date.strftime("%Y%m%d"), "120000", "CT"
    ds.StudyID = str(study_index + 1)
    ds.StudyDescription, ds.SeriesNumber, ds.InstanceNumber = "Benchmark CT", 1, z + 1
    ds.Rows = ds.Columns = SIDE
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
    ds.WindowCenter, ds.WindowWidth = 40, 400
    ds.PixelData = pixels.tobytes()
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(path, write_like_original=False)


def main():
    args = parse_args()
    rng = np.random.default_rng(42)
    yy, xx = np.mgrid[0:SIDE, 0:SIDE]
    for s in range(args.studies):
        study_uid = uid("bench-study", args.patient_id, s)
        series_uid = uid("bench-series", args.patient_id, s)
        folder = os.path.join(args.out_dir, f"study_{s + 1:02d}")
        os.makedirs(folder, exist_ok=True)
        for z in range(args.slices):
            write_slice(os.path.join(folder, f"ct_{z:04d}.dcm"), args.patient_id, s, study_uid,
                        series_uid, z, slice_pixels(rng, s, z, yy, xx))
        print(study_uid, flush=True)


if __name__ == "__main__":
    main()
