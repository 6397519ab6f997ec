// Process-wide set-up of the DICOM toolkit behind pacsport::dicom.
//
// Registers the decoders for JPEG (baseline, extended, lossless), JPEG-LS and RLE,
// silences the toolkit's own logger so that it never prints patient data, and sets
// its process-wide parsing leniency (elements stored as UN are read with their
// dictionary VR; an "explicit VR" dataset that is really implicit VR is read). No
// other code in the process may use DCMTK with different settings.
// ParseInstance and RenderFrames call it themselves; the server calls it once at
// start-up as well, so that a broken installation fails before the first request.
// Idempotent and thread-safe.
#pragma once

namespace pacsport::dicom {

// Throws ErrorException(kInternal) when the DICOM data dictionary cannot be loaded
// (a broken installation: nothing in this layer can work without it).
void Initialize();

}  // namespace pacsport::dicom
