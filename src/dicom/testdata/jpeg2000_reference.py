#!/usr/bin/python3
"""An independent 8-bit rendering of one JPEG 2000 frame, for dicom_test.

  jpeg2000_reference.py FILE FRAME OUT.pnm

pydicom extracts the frame's codestream, OpenJPEG's own command line decoder
(opj_decompress) decodes it, and viewing.py shows the samples, read as Bits Stored
and Pixel Representation say, as a viewer does by default; 8-bit colour as
decoded. Writes a binary PGM (grey) or PPM (RGB) with maxval 255. Exits with 3
when opj_decompress cannot decode the codestream.
"""
import os
import struct
import subprocess
import sys
import tempfile

import pydicom
from pydicom.encaps import generate_pixel_data_frame

from viewing import window, write_pnm

JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  "


def codestream_signedness(codestream):
    """(precision, signed) of the first component, from the SIZ marker segment."""
    siz = codestream.find(b"\xff\x4f\xff\x51")
    ssiz = codestream[siz + 42]  # after SOC, SIZ, Lsiz, Rsiz, 8 sizes and offsets, Csiz
    return (ssiz & 0x7F) + 1, bool(ssiz & 0x80)


def read_pnm(path):
    """(channels, width, height, values) of a binary PGM/PPM as opj_decompress writes it."""
    with open(path, "rb") as f:
        data = f.read()
    fields, position = [], 0
    while len(fields) < 4:
        while data[position:position + 1].isspace():
            position += 1
        if data[position:position + 1] == b"#":
            position = data.index(b"\n", position)
            continue
        end = position
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[position:end])
        position = end
    position += 1
    magic, width, height, maxval = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
    channels = 3 if magic == b"P6" else 1
    count = width * height * channels
    if maxval > 255:
        values = struct.unpack(f">{count}H", data[position:position + 2 * count])
    else:
        values = data[position:position + count]
    return channels, width, height, list(values)


def main():
    path, frame, output = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    dataset = pydicom.dcmread(path)
    frames = int(dataset.get("NumberOfFrames", 1) or 1)
    codestream = list(generate_pixel_data_frame(dataset.PixelData, frames))[frame]
    precision, signed = codestream_signedness(codestream)
    with tempfile.TemporaryDirectory() as temp:
        source = os.path.join(temp, "frame.jp2" if codestream.startswith(JP2_SIGNATURE) else "frame.j2k")
        decoded = os.path.join(temp, "frame.ppm" if dataset.SamplesPerPixel == 3 else "frame.pgm")
        with open(source, "wb") as f:
            f.write(codestream)
        result = subprocess.run(["opj_decompress", "-quiet", "-i", source, "-o", decoded],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if result.returncode != 0 or not os.path.exists(decoded):
            sys.exit(3)
        channels, width, height, values = read_pnm(decoded)
    if signed:  # opj_decompress writes signed samples offset by half their range
        values = [v - (1 << (precision - 1)) for v in values]
    if channels == 1:  # stored values, read as Bits Stored and Pixel Representation say
        bits, signed_pixels = dataset.BitsStored, dataset.PixelRepresentation == 1
        values = [v & ((1 << bits) - 1) for v in values]
        if signed_pixels:
            values = [v - (1 << bits) if v >= 1 << (bits - 1) else v for v in values]
    write_pnm(output, width, height, channels, window(values, dataset) if channels == 1 else values)


if __name__ == "__main__":
    main()
