// Whether an image's pixels may show text that identifies the patient, which the
// Basic Profile does not remove (pacsport offers no Clean Pixel Data option): its
// previews are left out of a de-identified export unless the request includes them.
// Thread-safe: pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pacsport::deid {

// Why previews of an image with BurnedInAnnotation `burned_in_annotation` and
// Modality `modality` are withheld, or nullopt when they may be shown: the flag is
// YES, or the modality is one whose images usually carry burned-in text (US, ES, SC,
// XC, OT: decision 0016).
std::optional<std::string> BurnedInTextReason(std::string_view burned_in_annotation,
                                              std::string_view modality);

}  // namespace pacsport::deid
