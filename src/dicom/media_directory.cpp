#include "dicom/media_directory.h"

#include <dcmtk/dcmdata/dcddirif.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <system_error>

#include "dicom/initialize.h"

namespace pacsport::dicom {
namespace {

bool IsExplicitLittle(const std::string& uid) {
  return uid == UID_LittleEndianExplicitTransferSyntax;
}

bool IsDvdJpeg(const std::string& uid) {
  return IsExplicitLittle(uid) || uid == UID_JPEGProcess1TransferSyntax ||
         uid == UID_JPEGProcess2_4TransferSyntax || uid == UID_JPEGProcess14SV1TransferSyntax;
}

bool IsDvdJpeg2000(const std::string& uid) {
  return IsExplicitLittle(uid) || uid == UID_JPEG2000LosslessOnlyTransferSyntax ||
         uid == UID_JPEG2000TransferSyntax;
}

DicomDirInterface::E_ApplicationProfile ToolkitProfile(MediaProfile profile) {
  switch (profile) {
    case MediaProfile::kGeneralPurposeCd:
      return DicomDirInterface::AP_GeneralPurpose;
    case MediaProfile::kGeneralPurposeDvdJpeg:
      return DicomDirInterface::AP_GeneralPurposeDVDJPEG;
    case MediaProfile::kGeneralPurposeDvdJpeg2000:
      return DicomDirInterface::AP_GeneralPurposeDVDJPEG2000;
    case MediaProfile::kGeneralPurposeMime:
      return DicomDirInterface::AP_GeneralPurposeMIME;
  }
  return DicomDirInterface::AP_GeneralPurpose;
}

// Why a strict reader cannot read the file at `path` although this process can: its
// dataset is implicit VR while its meta header declares an explicit VR transfer
// syntax (read here by DCMTK's leniency, dicom/initialize.h; refused by dcmmkdir and
// viewers). Checked on the dataset's first element; nullopt when it is as declared or
// when the check does not apply (no group length, deflated).
std::optional<std::string> UndeclaredEncoding(const std::filesystem::path& path) {
  DcmMetaInfo meta;
  if (meta.loadFile(OFFilename(path.c_str())).bad()) return std::nullopt;
  OFString syntax;
  Uint32 group_length = 0;
  if (meta.findAndGetOFStringArray(DCM_TransferSyntaxUID, syntax).bad() ||
      meta.findAndGetUint32(DCM_FileMetaInformationGroupLength, group_length).bad() ||
      syntax == UID_LittleEndianImplicitTransferSyntax ||
      syntax == UID_DeflatedExplicitVRLittleEndianTransferSyntax) {
    return std::nullopt;
  }
  // Preamble, "DICM", the group length element (12 bytes), then the rest of group 2.
  const std::uint64_t dataset = 128 + 4 + 12 + std::uint64_t{group_length};
  std::ifstream in(path, std::ios::binary);
  char element[6] = {};
  in.seekg(static_cast<std::streamoff>(dataset));
  if (!in.read(element, sizeof element)) return std::nullopt;  // no dataset element
  const auto letter = [](char c) { return c >= 'A' && c <= 'Z'; };
  if (letter(element[4]) && letter(element[5])) return std::nullopt;
  return "its dataset is implicit VR although its meta header declares explicit VR";
}

// Adds the files under `root`/`relative`, each folder's entries in name order.
Status AddFolder(DicomDirInterface& directory, const std::filesystem::path& root,
                 const std::filesystem::path& relative, MediaDirectoryReport& report) {
  std::error_code error;
  std::vector<std::filesystem::directory_entry> entries;
  for (std::filesystem::directory_iterator it(root / relative, error), end; !error && it != end;
       it.increment(error)) {
    entries.push_back(*it);
  }
  if (error) return Internal("cannot list the staged disc: " + error.message());
  std::sort(entries.begin(), entries.end());
  for (const auto& entry : entries) {
    const std::filesystem::path name = relative / entry.path().filename();
    if (entry.is_directory()) {
      if (Status s = AddFolder(directory, root, name, report); !s.ok()) return s;
      continue;
    }
    if (auto mismatch = UndeclaredEncoding(entry.path())) {
      report.refused.push_back({name.generic_string(), std::move(*mismatch)});
      continue;
    }
    const OFCondition added =
        directory.addDicomFile(OFFilename(name.c_str()), OFFilename(root.c_str()));
    if (added.good()) {
      ++report.indexed;
    } else {
      report.refused.push_back({name.generic_string(), added.text()});
    }
  }
  return Status::Ok();
}

}  // namespace

std::string_view MediaProfileName(MediaProfile profile) {
  switch (profile) {
    case MediaProfile::kGeneralPurposeCd:
      return "STD-GEN-CD";
    case MediaProfile::kGeneralPurposeDvdJpeg:
      return "STD-GEN-DVD-JPEG";
    case MediaProfile::kGeneralPurposeDvdJpeg2000:
      return "STD-GEN-DVD-J2K";
    case MediaProfile::kGeneralPurposeMime:
      return "STD-GEN-MIME";
  }
  return "STD-GEN-CD";
}

MediaProfile ChooseMediaProfile(const std::set<std::string>& transfer_syntax_uids) {
  auto all = [&](bool (*admits)(const std::string&)) {
    return std::all_of(transfer_syntax_uids.begin(), transfer_syntax_uids.end(), admits);
  };
  if (all(IsExplicitLittle)) return MediaProfile::kGeneralPurposeCd;
  if (all(IsDvdJpeg)) return MediaProfile::kGeneralPurposeDvdJpeg;
  if (all(IsDvdJpeg2000)) return MediaProfile::kGeneralPurposeDvdJpeg2000;
  return MediaProfile::kGeneralPurposeMime;
}

Result<MediaDirectoryReport> WriteMediaDirectory(const std::filesystem::path& root,
                                                 std::string_view dicom_folder,
                                                 MediaProfile profile,
                                                 std::string_view fileset_id) {
  Initialize();
  DicomDirInterface directory;
  directory.enableInventMode(OFTrue);
  directory.disableBackupMode(OFFalse);
  const std::filesystem::path file = root / "DICOMDIR";
  OFCondition made = directory.createNewDicomDir(ToolkitProfile(profile), OFFilename(file.c_str()),
                                                 OFString(fileset_id.data(), fileset_id.size()));
  if (made.bad()) return Internal(std::string("cannot make a DICOMDIR: ") + made.text());
  MediaDirectoryReport report;
  if (Status s = AddFolder(directory, root, std::filesystem::path(dicom_folder), report); !s.ok()) {
    return s.error();
  }
  const OFCondition written = directory.writeDicomDir();
  if (written.bad()) {
    return Unavailable(std::string("cannot write the DICOMDIR: ") + written.text());
  }
  return report;
}

}  // namespace pacsport::dicom
