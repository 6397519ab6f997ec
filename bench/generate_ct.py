#!/usr/bin/python3
"""generate_ct.py OUT_DIR [SLICES]: writes a synthetic CT series, one 512x512 16-bit
slice per file (Explicit VR Little Endian), with CT-like content: a body ellipse of
soft tissue with noise, bone ring, air outside. Deterministic (fixed seed)."""
import os
import sys

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

out, slices = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 300
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(42)
study, series = generate_uid(entropy_srcs=["bench-study"]), generate_uid(entropy_srcs=["bench-series"])
yy, xx = np.mgrid[0:512, 0:512]
for z in range(slices):
    r = ((xx - 256) / (200 + 20 * np.sin(z / 40))) ** 2 + ((yy - 256) / 150) ** 2
    image = np.full((512, 512), -1000.0)
    image[r < 1.0] = 40 + rng.normal(0, 12, size=(r < 1.0).sum())
    image[(r > 0.85) & (r < 1.0)] = 700 + rng.normal(0, 40, size=((r > 0.85) & (r < 1.0)).sum())
    pixels = (image + 1024).clip(0, 4095).astype(np.uint16)

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=["bench", str(z)])
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.PatientID, ds.PatientName, ds.PatientSex, ds.PatientBirthDate = "BENCH-CT", "Bench^CT", "O", "19700101"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
    ds.StudyDate, ds.StudyTime, ds.Modality = "20260101", "120000", "CT"
    ds.StudyDescription, ds.SeriesNumber, ds.InstanceNumber = "Benchmark CT", 1, z + 1
    ds.Rows = ds.Columns = 512
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
    ds.WindowCenter, ds.WindowWidth = 40, 400
    ds.PixelData = pixels.tobytes()
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(os.path.join(out, f"ct_{z:04d}.dcm"), write_like_original=False)
print(study)
