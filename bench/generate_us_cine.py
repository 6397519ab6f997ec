#!/usr/bin/python3
"""generate_us_cine.py OUT_FILE [FRAMES] [--rows R] [--columns C]: writes one synthetic
ultrasound cine, a US Multi-frame Image (1.2.840.10008.5.1.4.1.1.3.1) of FRAMES
(default 100) RGB 8-bit frames of R x C pixels (default 480 x 640), Explicit VR Little
Endian, planar configuration 0, 25 frames/s.
Ultrasound-like content: a grey speckled fan (sector scan) that brightens with depth
variations over time, a beating dark chamber, and a red/blue colour-Doppler patch inside
the fan; black outside. Deterministic (fixed seed; UIDs derived from the frame count and
size). Prints the SOPInstanceUID."""
import argparse
import datetime

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

US_MULTIFRAME_STORAGE = "1.2.840.10008.5.1.4.1.1.3.1"
FRAME_TIME_MS = 40.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split(":")[0])
    parser.add_argument("out_file")
    parser.add_argument("frames", nargs="?", type=int, default=100)
    parser.add_argument("--rows", type=int, default=480)
    parser.add_argument("--columns", type=int, default=640)
    args = parser.parse_args()
    if args.frames < 1 or args.rows < 16 or args.columns < 16:
        parser.error("FRAMES must be at least 1, --rows and --columns at least 16")
    return args


def uid(*parts):
    return generate_uid(entropy_srcs=["/".join(str(p) for p in parts)])


def frames(rng, count, rows, columns):
    """count frames of shape (rows, columns, 3), uint8, one after the other."""
    yy, xx = np.mgrid[0:rows, 0:columns].astype(np.float32)
    apex_x, depth = columns / 2, rows * 0.95
    radius = np.hypot(xx - apex_x, yy)
    angle = np.arctan2(xx - apex_x, yy)
    fan = (radius < depth) & (np.abs(angle) < 0.7)
    cx, cy = apex_x, rows * 0.5
    doppler = fan & (np.hypot(xx - cx - columns * 0.12, yy - cy) < rows * 0.1)
    for t in range(count):
        phase = 2 * np.pi * t / 25
        chamber = np.hypot((xx - cx) / 1.3, yy - cy) < rows * (0.15 + 0.03 * np.sin(phase))
        gain = 0.55 + 0.25 * np.cos(radius / depth * 6 + phase)
        speckle = rng.rayleigh(0.35, size=(rows, columns)).astype(np.float32)
        grey = np.where(fan & ~chamber, np.clip(gain * speckle * 255, 0, 255), 0)
        grey = np.where(fan & chamber, grey * 0.15, grey)
        image = np.repeat(grey[:, :, None], 3, axis=2)
        flow = np.sin(phase + (yy - cy) / 20)
        image[doppler & (flow > 0), 0] = 200 + 50 * flow[doppler & (flow > 0)]
        image[doppler & (flow > 0), 1:] = 20
        image[doppler & (flow <= 0), 2] = 200 - 50 * flow[doppler & (flow <= 0)]
        image[doppler & (flow <= 0), :2] = 20
        yield image.astype(np.uint8)


def main():
    args = parse_args()
    rng = np.random.default_rng(7)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = US_MULTIFRAME_STORAGE
    meta.MediaStorageSOPInstanceUID = uid("bench-us-instance", args.frames, args.rows, args.columns)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientID, ds.PatientName = "BENCH-US", "Bench^US"
    ds.PatientSex, ds.PatientBirthDate = "O", "19700101"
    ds.StudyInstanceUID = uid("bench-us-study", args.frames, args.rows, args.columns)
    ds.SeriesInstanceUID = uid("bench-us-series", args.frames, args.rows, args.columns)
    ds.StudyDate = datetime.date(2026, 1, 1).strftime("%Y%m%d")
    ds.StudyTime, ds.Modality, ds.StudyID = "120000", "US", "1"
    ds.StudyDescription, ds.SeriesNumber, ds.InstanceNumber = "Benchmark US cine", 1, 1
    ds.Rows, ds.Columns = args.rows, args.columns
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.NumberOfFrames = args.frames
    ds.FrameTime = FRAME_TIME_MS
    ds.CineRate = round(1000 / FRAME_TIME_MS)
    ds.FrameIncrementPointer = 0x00181063  # Frame Time
    ds.PixelData = b"".join(f.tobytes() for f in frames(rng, args.frames, args.rows, args.columns))
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(args.out_file, write_like_original=False)
    print(ds.SOPInstanceUID)


if __name__ == "__main__":
    main()
