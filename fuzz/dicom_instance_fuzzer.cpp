// The DICOM ingest parser on arbitrary bytes, as an upload, `pacsport import` or an
// Orthanc sync hands them to ParseInstance (default limits). Whatever the input, it
// must return an instance or a refusal without crashing, overflowing or leaking, and
// an accepted instance must carry what the index and the archive layout rely on.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/names.h"
#include "dicom/initialize.h"
#include "dicom/instance_parser.h"
#include "fuzz_check.h"

using pacsport::fuzz::Check;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pacsport::dicom::Initialize();  // the data dictionary, loaded once outside leak checks
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parsed = pacsport::dicom::ParseInstance({reinterpret_cast<const char*>(data), size});
  if (!parsed.ok()) {
    Check(parsed.error().code() == pacsport::ErrorCode::kInvalidInput ||
              parsed.error().code() == pacsport::ErrorCode::kPayloadTooLarge,
          "a refused object is kInvalidInput, or kPayloadTooLarge when it inflates too far");
    return 0;
  }
  Check(pacsport::IsValidUid(parsed->study_instance_uid) &&
            pacsport::IsValidUid(parsed->series_instance_uid) &&
            pacsport::IsValidUid(parsed->sop_instance_uid),
        "an accepted object has valid UIDs");
  Check(parsed->number_of_frames >= 0, "the frame count is not negative");
  Check(parsed->orthanc_instance_id.size() == 44, "the Orthanc ID is 5 groups of 8 hex digits");
  return 0;
}
