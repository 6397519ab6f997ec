#include "deid/deidentifier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcdatset.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcistrmb.h"
#include "dcmtk/dcmdata/dcmetinf.h"
#include "dcmtk/dcmdata/dcsequen.h"
#include "deid/project_keys.h"
#include "dicom/initialize.h"
#include "tests/support/temp_dir.h"

namespace pacsport::deid {
namespace {

constexpr const char* kStudyUid = "1.2.826.0.1.3680043.2.1125.1.1";
constexpr const char* kSeriesUid = "1.2.826.0.1.3680043.2.1125.1.2";
constexpr const char* kSopUid = "1.2.826.0.1.3680043.2.1125.1.3";
constexpr const char* kReferencedUid = "1.2.826.0.1.3680043.2.1125.1.4";

ProjectKey TestKey(std::string_view project = "lung") {
  return ProjectKeys::FromHex(std::string(64, 'a'))->For("Hospital A", project);
}

// A CT-like object full of identifiers, with a non-zero preamble, a sequence that
// references another object, an unsafe and a safe private attribute.
std::string IdentifyingObject() {
  dicom::Initialize();
  DcmFileFormat file;
  DcmDataset& data = *file.getDataset();
  data.putAndInsertString(DCM_SOPClassUID, "1.2.840.10008.5.1.4.1.1.2");
  data.putAndInsertString(DCM_SOPInstanceUID, kSopUid);
  data.putAndInsertString(DCM_StudyInstanceUID, kStudyUid);
  data.putAndInsertString(DCM_SeriesInstanceUID, kSeriesUid);
  data.putAndInsertString(DCM_FrameOfReferenceUID, "1.2.826.0.1.3680043.2.1125.1.5");
  data.putAndInsertString(DCM_PatientName, "Doe^Johnathan");
  data.putAndInsertString(DCM_PatientID, "MRN-4711");
  data.putAndInsertString(DCM_PatientBirthDate, "19610412");
  data.putAndInsertString(DCM_PatientSex, "M");
  data.putAndInsertString(DCM_PatientAge, "062Y");
  data.putAndInsertString(DCM_RETIRED_OtherPatientIDs, "OTHER-99");
  data.putAndInsertString(DCM_AccessionNumber, "ACC-20230101");
  data.putAndInsertString(DCM_InstitutionName, "Saint Elsewhere Clinic");
  data.putAndInsertString(DCM_ReferringPhysicianName, "House^Gregory");
  data.putAndInsertString(DCM_StudyDate, "20230315");
  data.putAndInsertString(DCM_StudyTime, "101500");
  data.putAndInsertString(DCM_AcquisitionDateTime, "20230315101700.5");
  data.putAndInsertString(DCM_StudyDescription, "CT chest for Johnathan Doe MRN-4711");
  data.putAndInsertString(DCM_DeviceSerialNumber, "SN-12345");
  data.putAndInsertString(DCM_StationName, "CTSTATION7");
  data.putAndInsertString(DCM_Modality, "CT");
  data.putAndInsertString(DCM_StudyID, "STUDY-77");
  DcmItem* reference = nullptr;
  data.findOrCreateSequenceItem(DCM_ReferencedImageSequence, reference, -2);
  reference->putAndInsertString(DCM_ReferencedSOPClassUID, "1.2.840.10008.5.1.4.1.1.2");
  reference->putAndInsertString(DCM_ReferencedSOPInstanceUID, kReferencedUid);
  DcmItem* nested = nullptr;
  data.findOrCreateSequenceItem(DCM_RequestAttributesSequence, nested, -2);
  nested->putAndInsertString(DCM_RequestedProcedureID, "RP-555");
  nested->putAndInsertString(DCM_ScheduledProcedureStepID, "SPS-1");
  data.putAndInsertString(DcmTag(0x0009, 0x0010, EVR_LO), "ACME PRIVATE");
  data.putAndInsertString(DcmTag(0x0009, 0x1001, EVR_LO), "Doe^Johnathan MRN-4711");
  data.putAndInsertString(DcmTag(0x0019, 0x0010, EVR_LO), "SIEMENS MR HEADER");
  data.putAndInsertString(DcmTag(0x0019, 0x100C, EVR_IS), "1000");
  data.putAndInsertUint16(DCM_Rows, 2);
  data.putAndInsertUint16(DCM_Columns, 2);
  data.putAndInsertUint16(DCM_BitsAllocated, 8);
  data.putAndInsertUint16(DCM_BitsStored, 8);
  data.putAndInsertUint16(DCM_HighBit, 7);
  data.putAndInsertUint16(DCM_PixelRepresentation, 0);
  data.putAndInsertUint16(DCM_SamplesPerPixel, 1);
  data.putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2");
  const Uint8 pixels[4] = {1, 2, 3, 4};
  data.putAndInsertUint8Array(DCM_PixelData, pixels, 4);
  testing::TempDir dir;
  const auto path = dir.path() / "in.dcm";
  EXPECT_TRUE(file.saveFile(path.c_str(), EXS_LittleEndianExplicit).good());
  std::string bytes = testing::ReadFile(path);
  bytes.replace(0, 8, "MZ\x90\x00PE\x00\x00", 8);  // an executable's header in the preamble
  return bytes;
}

struct Parsed {
  DcmFileFormat file;
  DcmDataset& data() { return *file.getDataset(); }
  std::string Get(const DcmTagKey& tag) {
    OFString value;
    data().findAndGetOFStringArray(tag, value);
    return value.c_str();
  }
  bool Has(const DcmTagKey& tag) { return data().tagExists(tag); }
};

std::unique_ptr<Parsed> Parse(const std::string& bytes) {
  auto parsed = std::make_unique<Parsed>();
  DcmInputBufferStream stream;
  stream.setBuffer(bytes.data(), static_cast<offile_off_t>(bytes.size()));
  stream.setEos();
  parsed->file.transferInit();
  EXPECT_TRUE(parsed->file.read(stream).good());
  parsed->file.transferEnd();
  return parsed;
}

std::string Deidentify(const std::string& original, std::initializer_list<Option> options,
                       std::string_view project = "lung") {
  DeidentifyRequest request;
  request.project = std::string(project);
  request.options = options;
  std::string out;
  auto done = Deidentifier(TestKey(project), request).Apply(original, out);
  EXPECT_TRUE(done.ok()) << done.error().message();
  return out;
}

TEST(DeidentifierTest, BasicProfileLeavesNoIdentifier) {
  const std::string original = IdentifyingObject();
  const std::string out = Deidentify(original, {});
  for (const char* identifier :
       {"Doe",          "Johnathan",  "MRN-4711", "19610412",     "OTHER-99",
        "ACC-20230101", "Elsewhere",  "House",    "Gregory",      "20230315",
        "SN-12345",     "CTSTATION7", "RP-555",   "STUDY-77",     "ACME",
        kStudyUid,      kSeriesUid,   kSopUid,    kReferencedUid, "MZ"}) {
    EXPECT_EQ(out.find(identifier), std::string::npos) << identifier;
  }
  auto parsed = Parse(out);
  const Pseudonyms pseudonyms(TestKey());
  EXPECT_EQ(parsed->Get(DCM_PatientID), pseudonyms.PatientId("MRN-4711"));
  EXPECT_EQ(parsed->Get(DCM_PatientName), pseudonyms.PatientId("MRN-4711"));
  EXPECT_EQ(parsed->Get(DCM_PatientBirthDate), "");  // Z
  EXPECT_TRUE(parsed->Has(DCM_PatientBirthDate));
  EXPECT_FALSE(parsed->Has(DCM_RETIRED_OtherPatientIDs));     // X
  EXPECT_EQ(parsed->Get(DCM_AccessionNumber), "");            // Z
  EXPECT_EQ(parsed->Get(DCM_InstitutionName), "ANONYMIZED");  // X/Z/D: a dummy
  EXPECT_EQ(parsed->Get(DCM_StudyDate), "");                  // Z
  EXPECT_FALSE(parsed->Has(DCM_StudyDescription));            // X
  EXPECT_EQ(parsed->Get(DCM_PatientSex), "");                 // Z
  EXPECT_FALSE(parsed->Has(DCM_PatientAge));                  // X
  EXPECT_EQ(parsed->Get(DCM_Modality), "CT");                 // not listed: kept
  EXPECT_EQ(parsed->Get(DCM_PatientIdentityRemoved), "YES");
  EXPECT_FALSE(parsed->Get(DCM_DeidentificationMethod).empty());
  EXPECT_FALSE(parsed->Has(DCM_LongitudinalTemporalInformationModified));
  // The preamble is zeros, then "DICM".
  ASSERT_GT(out.size(), 132u);
  EXPECT_EQ(out.substr(0, 128), std::string(128, '\0'));
  EXPECT_EQ(out.substr(128, 4), "DICM");
}

TEST(DeidentifierTest, UidsMapConsistentlyAlsoInSequences) {
  const std::string out = Deidentify(IdentifyingObject(), {});
  auto parsed = Parse(out);
  const Pseudonyms pseudonyms(TestKey());
  EXPECT_EQ(parsed->Get(DCM_StudyInstanceUID), pseudonyms.Uid(kStudyUid));
  EXPECT_EQ(parsed->Get(DCM_SeriesInstanceUID), pseudonyms.Uid(kSeriesUid));
  EXPECT_EQ(parsed->Get(DCM_SOPInstanceUID), pseudonyms.Uid(kSopUid));
  EXPECT_EQ(parsed->Get(DCM_SOPClassUID), "1.2.840.10008.5.1.4.1.1.2");  // not an identifier
  OFString meta_uid;
  parsed->file.getMetaInfo()->findAndGetOFString(DCM_MediaStorageSOPInstanceUID, meta_uid);
  EXPECT_EQ(meta_uid.c_str(), pseudonyms.Uid(kSopUid));
  DcmItem* reference = nullptr;
  ASSERT_TRUE(parsed->data().findAndGetSequenceItem(DCM_ReferencedImageSequence, reference).good());
  OFString referenced;
  reference->findAndGetOFString(DCM_ReferencedSOPInstanceUID, referenced);
  // The object it references, de-identified on its own, gets exactly this UID.
  EXPECT_EQ(referenced.c_str(), pseudonyms.Uid(kReferencedUid));
  // Request Attributes Sequence is X: gone with its identifiers.
  EXPECT_FALSE(parsed->Has(DCM_RequestAttributesSequence));
  // Another project: other UIDs and another Patient ID.
  auto other = Parse(Deidentify(IdentifyingObject(), {}, "heart"));
  EXPECT_NE(other->Get(DCM_StudyInstanceUID), parsed->Get(DCM_StudyInstanceUID));
  EXPECT_NE(other->Get(DCM_PatientID), parsed->Get(DCM_PatientID));
}

TEST(DeidentifierTest, PrivateAttributesGoUnlessSafe) {
  auto parsed = Parse(Deidentify(IdentifyingObject(), {}));
  EXPECT_FALSE(parsed->Has(DcmTagKey(0x0009, 0x0010)));
  EXPECT_FALSE(parsed->Has(DcmTagKey(0x0009, 0x1001)));
  EXPECT_TRUE(parsed->Has(DcmTagKey(0x0019, 0x0010)));  // its creator, with it
  EXPECT_EQ(parsed->Get(DcmTagKey(0x0019, 0x100C)), "1000");
}

TEST(DeidentifierTest, CodeSequenceNamesProfileAndOptions) {
  auto parsed = Parse(Deidentify(IdentifyingObject(), {Option::kRetainDeviceIdentity}));
  std::vector<std::string> codes;
  for (int i = 0;; ++i) {
    DcmItem* item = nullptr;
    if (parsed->data()
            .findAndGetSequenceItem(DCM_DeidentificationMethodCodeSequence, item, i)
            .bad()) {
      break;
    }
    OFString value, scheme;
    item->findAndGetOFString(DCM_CodeValue, value);
    item->findAndGetOFString(DCM_CodingSchemeDesignator, scheme);
    EXPECT_EQ(scheme, "DCM");
    codes.push_back(value.c_str());
  }
  EXPECT_EQ(codes, (std::vector<std::string>{"113100", "113109"}));
}

TEST(DeidentifierTest, ModifiedDatesMoveBackByThePatientsOffset) {
  auto parsed = Parse(Deidentify(IdentifyingObject(), {Option::kRetainLongitudinalModifiedDates}));
  const int days = Pseudonyms(TestKey()).DateShiftDays("MRN-4711");
  // 2023-03-15 minus `days`, computed independently of ShiftDate.
  std::tm date{};
  date.tm_year = 123;
  date.tm_mon = 2;
  date.tm_mday = 15 - days;
  date.tm_hour = 12;
  timegm(&date);
  char expected[16];
  std::strftime(expected, sizeof expected, "%Y%m%d", &date);
  EXPECT_EQ(parsed->Get(DCM_StudyDate), expected);
  EXPECT_EQ(parsed->Get(DCM_AcquisitionDateTime), std::string(expected) + "101700.5");
  EXPECT_EQ(parsed->Get(DCM_StudyTime), "101500");   // whole days: times kept
  EXPECT_EQ(parsed->Get(DCM_PatientBirthDate), "");  // not kept by this option
  EXPECT_EQ(parsed->Get(DCM_LongitudinalTemporalInformationModified), "MODIFIED");
}

TEST(DeidentifierTest, RetainOptionsKeepWhatTheyName) {
  auto parsed = Parse(Deidentify(
      IdentifyingObject(),
      {Option::kRetainDeviceIdentity, Option::kRetainPatientCharacteristics, Option::kRetainUids}));
  EXPECT_EQ(parsed->Get(DCM_DeviceSerialNumber), "SN-12345");
  EXPECT_EQ(parsed->Get(DCM_StationName), "CTSTATION7");
  EXPECT_EQ(parsed->Get(DCM_PatientSex), "M");
  EXPECT_EQ(parsed->Get(DCM_PatientAge), "062Y");
  EXPECT_EQ(parsed->Get(DCM_StudyInstanceUID), kStudyUid);
  EXPECT_EQ(parsed->Get(DCM_SOPInstanceUID), kSopUid);
  EXPECT_EQ(parsed->Get(DCM_PatientBirthDate), "");  // never a characteristic kept
}

TEST(DeidentifierTest, CleanDescriptorsKeepsTheTextWithoutIdentifiers) {
  auto parsed = Parse(Deidentify(IdentifyingObject(), {Option::kCleanDescriptors}));
  const std::string description = parsed->Get(DCM_StudyDescription);
  EXPECT_NE(description.find("CT chest for"), std::string::npos) << description;
  EXPECT_EQ(description.find("Doe"), std::string::npos) << description;
  EXPECT_EQ(description.find("Johnathan"), std::string::npos) << description;
  EXPECT_EQ(description.find("4711"), std::string::npos) << description;
}

TEST(DeidentifierTest, BadInputIsRefused) {
  DeidentifyRequest request;
  request.project = "p";
  std::string out;
  auto result = Deidentifier(TestKey(), request).Apply("not a DICOM object at all", out);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), ErrorCode::kInvalidInput);
}

// Every parsable file of the pydicom corpus: de-identified, it parses again, its
// preamble is zero and none of its original UIDs is left.
TEST(DeidentifierTest, CorpusFilesStayValid) {
  int done = 0;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(testing::CorpusFile(""))) {
    if (entry.path().extension() == ".dcm") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    const std::string original = testing::ReadFile(path);
    DeidentifyRequest request;
    request.project = "corpus";
    std::string out;
    auto result = Deidentifier(TestKey("corpus"), request).Apply(original, out);
    if (!result.ok()) {
      EXPECT_EQ(result.error().code(), ErrorCode::kInvalidInput) << path;
      continue;  // a file broken on purpose, refused as the parser refuses it
    }
    ++done;
    auto parsed = Parse(out);
    EXPECT_EQ(out.substr(0, 128), std::string(128, '\0')) << path;
    OFString patient_id;
    parsed->data().findAndGetOFString(DCM_PatientID, patient_id);
    EXPECT_EQ(patient_id.substr(0, 5), "ANON-") << path;
    EXPECT_EQ(parsed->Get(DCM_PatientIdentityRemoved), "YES") << path;
    if (!result->sop_instance_uid.empty()) {
      EXPECT_EQ(result->sop_instance_uid.rfind("2.25.", 0), 0u) << path;
    }
  }
  EXPECT_GT(done, 60);
}

}  // namespace
}  // namespace pacsport::deid
