#include "deid/burned_in_text.h"

#include <algorithm>
#include <iterator>

namespace pacsport::deid {
namespace {

// Ultrasound (patient and date in the image area), endoscopy and external-camera
// photography (on-screen display), secondary capture (screenshots of other systems)
// and "other" (unknown origin).
constexpr std::string_view kTextBearingModalities[] = {"US", "ES", "SC", "XC", "OT"};

}  // namespace

std::optional<std::string> BurnedInTextReason(std::string_view burned_in_annotation,
                                              std::string_view modality) {
  if (burned_in_annotation == "YES") {
    return "withheld from a de-identified export: BurnedInAnnotation is YES";
  }
  if (std::find(std::begin(kTextBearingModalities), std::end(kTextBearingModalities), modality) !=
      std::end(kTextBearingModalities)) {
    return "withheld from a de-identified export: " + std::string(modality) +
           " images usually have text burned in";
  }
  return std::nullopt;
}

}  // namespace pacsport::deid
