#!/usr/bin/python3
"""pydicom's 8-bit rendering of every frame of an image, for dicom_test.

  pydicom_reference.py FILE DIR      writes DIR/frame_K.pnm for each frame K

pydicom assigns the fragments of encapsulated Pixel Data to frames (its offset
table, one fragment per frame, or the JPEG EOI / JPEG 2000 EOC markers that end a
frame) and decodes the frame alone with its pixel data handlers (GDCM for JPEG,
JPEG-LS and JPEG 2000, its own for RLE and native data): given a whole multi-frame
object with an empty offset table, GDCM 3.0.21 mixes up its frames. PALETTE COLOR goes through
pydicom's apply_color_lut (plain or segmented tables), each entry scaled from the
descriptor's bits to 8 bits; monochrome is shown as viewing.py says; other colour
is written as decoded. Binary PGM (grey) or PPM (RGB) with maxval 255.
"""
import copy
import os
import sys
import warnings

import numpy
import pydicom
from pydicom.encaps import encapsulate, generate_pixel_data_frame
from pydicom.pixel_data_handlers.util import apply_color_lut

from viewing import window, write_pnm


def frame_pixels(dataset, frame):
    """The decoded samples of `frame`: rows x columns (x samples)."""
    frames = int(dataset.get("NumberOfFrames", 1) or 1)
    if not dataset.file_meta.TransferSyntaxUID.is_compressed:
        pixels = dataset.pixel_array
        return pixels[frame] if frames > 1 else pixels
    codestream = list(generate_pixel_data_frame(dataset.PixelData, frames))[frame]
    single = copy.deepcopy(dataset)
    single.NumberOfFrames = 1
    single.PixelData = encapsulate([codestream])
    return single.pixel_array


def palette_colour(pixels, dataset):
    """RGB bytes of the palette's entries for `pixels`, scaled to 8 bits."""
    bits = dataset.RedPaletteColorLookupTableDescriptor[2]
    rgb = apply_color_lut(pixels, dataset).astype(numpy.float64)
    return numpy.rint(rgb * 255 / ((1 << bits) - 1)).astype(numpy.uint8)


def render(dataset, frame, output):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pixels = frame_pixels(dataset, frame)
    height, width = pixels.shape[:2]
    if dataset.PhotometricInterpretation == "PALETTE COLOR":
        write_pnm(output, width, height, 3, palette_colour(pixels, dataset).tobytes())
    elif pixels.ndim == 3:
        write_pnm(output, width, height, 3, pixels.astype(numpy.uint8).tobytes())
    else:
        write_pnm(output, width, height, 1, window([int(v) for v in pixels.flat], dataset))


def main():
    path, directory = sys.argv[1], sys.argv[2]
    dataset = pydicom.dcmread(path)
    for frame in range(int(dataset.get("NumberOfFrames", 1) or 1)):
        render(dataset, frame, os.path.join(directory, "frame_%d.pnm" % frame))


if __name__ == "__main__":
    main()
