"""What a viewer shows by default, for the reference renderings of dicom_test:
Rescale Slope/Intercept, then the first Window Center/Width (the DICOM linear
function), else a min-max window; MONOCHROME1 inverted. Written as binary PGM/PPM.
"""
import pydicom


def window(values, dataset):
    """8-bit grey levels for a flat list of stored monochrome values."""
    slope = float(dataset.get("RescaleSlope", 1) or 1)
    intercept = float(dataset.get("RescaleIntercept", 0) or 0)
    values = [v * slope + intercept for v in values]
    if "WindowCenter" in dataset and "WindowWidth" in dataset:
        first = lambda value: float(value[0] if isinstance(value, pydicom.multival.MultiValue) else value)
        center, width = first(dataset.WindowCenter), first(dataset.WindowWidth)
        low, high = center - 0.5 - (width - 1) / 2, center - 0.5 + (width - 1) / 2
        scale = lambda v: 0 if v <= low else 255 if v > high else ((v - (center - 0.5)) / (width - 1) + 0.5) * 255
    else:
        low, high = min(values), max(values)
        scale = lambda v: 0 if high == low else (v - low) / (high - low) * 255
    out = [min(255, max(0, round(scale(v)))) for v in values]
    if dataset.PhotometricInterpretation == "MONOCHROME1":
        out = [255 - v for v in out]
    return out


def write_pnm(path, width, height, channels, pixels):
    """A binary PGM (1 channel) or PPM (3, interleaved) of 8-bit `pixels`."""
    with open(path, "wb") as f:
        f.write(b"%s\n%d %d\n255\n" % (b"P6" if channels == 3 else b"P5", width, height))
        f.write(bytes(pixels))
