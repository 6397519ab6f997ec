// Internal to src/dicom: facts about a loaded object that both the parser and the
// renderer need, so that they agree on them.
// Thread-safe for distinct objects; reads only.
#pragma once

#include <cstdint>
#include <string>

class DcmFileFormat;

namespace pacsport::dicom {

// True when the dataset has Pixel Data, Float Pixel Data or Double Float Pixel Data.
bool HasPixelData(DcmFileFormat& file);

// NumberOfFrames when it holds a positive integer, else 1 with pixel data, else 0.
int64_t FrameCount(DcmFileFormat& file);

// The meta header's TransferSyntaxUID when it is a valid UID, else the syntax DCMTK
// detected while reading the dataset; empty if neither is known.
std::string TransferSyntaxUid(DcmFileFormat& file);

// A DICOM string value without its padding: trailing spaces and NULs removed, and
// leading spaces too when `trim_leading`. (Pure string helper.)
std::string TrimPadding(std::string value, bool trim_leading);

}  // namespace pacsport::dicom
