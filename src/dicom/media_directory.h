// The DICOMDIR of a patient's disc (IHE PDI; PS3.10, PS3.11 General Purpose
// profiles), made by DCMTK's DicomDirInterface from the files staged on disk.
//
// The profile is chosen from the transfer syntaxes of the files the DICOMDIR can
// list: the strictest General Purpose profile that admits all of them
// (ChooseMediaProfile). DicomDirInterface then checks each file against it (a Part 10
// file with its meta header, a SOP class and transfer syntax the profile admits, a
// File ID of conformant components). A type 1 attribute of a directory record that a
// file lacks (an empty Study ID, a missing Series Number) is invented in the record
// only (DCMTK's invent mode): the files are never changed. A file whose dataset is not
// encoded as its meta header declares (implicit VR under an explicit VR transfer
// syntax: this process reads it, strict readers do not) is refused too. A refused
// file is left out of the DICOMDIR and named in the report, so that the caller can
// say so on the disc; the DICOMDIR written never references a file it does not
// describe. The file list and the DICOMDIR are held in memory while it is made.
// Thread-safe: every call works on its own DicomDirInterface.
#pragma once

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace pacsport::dicom {

enum class MediaProfile {
  kGeneralPurposeCd,           // STD-GEN-CD: Explicit VR Little Endian only
  kGeneralPurposeDvdJpeg,      // STD-GEN-DVD-JPEG: also JPEG baseline, extended, lossless SV1
  kGeneralPurposeDvdJpeg2000,  // STD-GEN-DVD-J2K: also JPEG 2000 (lossless only or not)
  kGeneralPurposeMime,         // STD-GEN-MIME: any transfer syntax (implicit VR, RLE, JPEG-LS…)
};

// The profile's identifier in PS3.11, e.g. "STD-GEN-CD".
std::string_view MediaProfileName(MediaProfile profile);

// The strictest of the profiles above that admits every transfer syntax of
// `transfer_syntax_uids` (STD-GEN-CD for an empty set).
MediaProfile ChooseMediaProfile(const std::set<std::string>& transfer_syntax_uids);

struct RefusedMediaFile {
  std::string file_id;  // '/'-separated, relative to the File-set's root
  std::string reason;
};

struct MediaDirectoryReport {
  MediaProfile profile = MediaProfile::kGeneralPurposeCd;  // the File-set's
  std::int64_t indexed = 0;                                // files the DICOMDIR references
  std::vector<RefusedMediaFile> refused;                   // files left out of it, in name order
};

// Writes `root`/DICOMDIR describing every file under `root`/`dicom_folder` it can
// list, added in name order, with the profile chosen as above; its File-set ID is
// `fileset_id` (at most 16 characters of A-Z, 0-9, _ and space). kInternal when the
// DICOMDIR cannot be made or the staged folder listed, kUnavailable when it cannot be
// written (a full disk).
Result<MediaDirectoryReport> WriteMediaDirectory(const std::filesystem::path& root,
                                                 std::string_view dicom_folder,
                                                 std::string_view fileset_id);

}  // namespace pacsport::dicom
