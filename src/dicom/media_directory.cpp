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

// The meta header's transfer syntax of the file at `path`, empty when it has no
// readable meta header (DicomDirInterface then refuses it, saying why); or why a
// strict reader cannot read the file although this process can: its dataset is
// implicit VR while its meta header declares an explicit VR transfer syntax (read here
// by DCMTK's leniency, dicom/initialize.h; refused by dcmmkdir and viewers). That is
// checked on the dataset's first element, where the group length allows it.
Result<std::string> DeclaredSyntax(const std::filesystem::path& path) {
  DcmMetaInfo meta;
  OFString syntax;
  if (meta.loadFile(OFFilename(path.c_str())).bad() ||
      meta.findAndGetOFStringArray(DCM_TransferSyntaxUID, syntax).bad()) {
    return std::string();
  }
  Uint32 group_length = 0;
  if (meta.findAndGetUint32(DCM_FileMetaInformationGroupLength, group_length).bad() ||
      syntax == UID_LittleEndianImplicitTransferSyntax ||
      syntax == UID_DeflatedExplicitVRLittleEndianTransferSyntax) {
    return std::string(syntax.c_str());
  }
  // Preamble, "DICM", the group length element (12 bytes), then the rest of group 2.
  const std::uint64_t dataset = 128 + 4 + 12 + std::uint64_t{group_length};
  std::ifstream in(path, std::ios::binary);
  char element[6] = {};
  in.seekg(static_cast<std::streamoff>(dataset));
  const auto letter = [](char c) { return c >= 'A' && c <= 'Z'; };
  if (in.read(element, sizeof element) && !(letter(element[4]) && letter(element[5]))) {
    return InvalidInput("its dataset is implicit VR although its meta header declares explicit VR");
  }
  return std::string(syntax.c_str());
}

// Appends the files under `root`/`relative` to `files`, each folder's entries in name
// order.
Status ListFiles(const std::filesystem::path& root, const std::filesystem::path& relative,
                 std::vector<std::filesystem::path>& files) {
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
      if (Status s = ListFiles(root, name, files); !s.ok()) return s;
    } else {
      files.push_back(name);
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
                                                 std::string_view fileset_id) {
  Initialize();
  std::vector<std::filesystem::path> files;
  if (Status s = ListFiles(root, std::filesystem::path(dicom_folder), files); !s.ok()) {
    return s.error();
  }
  // The profile from the transfer syntaxes of the files that can be listed.
  MediaDirectoryReport report;
  std::vector<std::filesystem::path> candidates;
  std::set<std::string> syntaxes;
  for (std::filesystem::path& file : files) {
    auto syntax = DeclaredSyntax(root / file);
    if (!syntax.ok()) {
      report.refused.push_back({file.generic_string(), syntax.error().message()});
      continue;
    }
    if (!syntax->empty()) syntaxes.insert(*syntax);
    candidates.push_back(std::move(file));
  }
  report.profile = ChooseMediaProfile(syntaxes);

  DicomDirInterface directory;
  directory.enableInventMode(OFTrue);
  directory.disableBackupMode(OFFalse);
  const std::filesystem::path file = root / "DICOMDIR";
  OFCondition made =
      directory.createNewDicomDir(ToolkitProfile(report.profile), OFFilename(file.c_str()),
                                  OFString(fileset_id.data(), fileset_id.size()));
  if (made.bad()) return Internal(std::string("cannot make a DICOMDIR: ") + made.text());
  for (const std::filesystem::path& name : candidates) {
    const OFCondition added =
        directory.addDicomFile(OFFilename(name.c_str()), OFFilename(root.c_str()));
    if (added.good()) {
      ++report.indexed;
    } else {
      report.refused.push_back({name.generic_string(), added.text()});
    }
  }
  std::sort(
      report.refused.begin(), report.refused.end(),
      [](const RefusedMediaFile& a, const RefusedMediaFile& b) { return a.file_id < b.file_id; });
  const OFCondition written = directory.writeDicomDir();
  if (written.bad()) {
    return Unavailable(std::string("cannot write the DICOMDIR: ") + written.text());
  }
  return report;
}

}  // namespace pacsport::dicom
