// Deidentifier: applies the DICOM Basic Application Level Confidentiality Profile
// (PS3.15 Annex E) with the requested options to one DICOM object, under one research
// project's pseudonyms.
//
// Every attribute of Table E.1-1 (profile_table.h) gets its action, in the data set
// and in every item of every sequence at any depth; private attributes go unless on
// the safe list (private_tags.h); UIDs are replaced by the project's pseudonymous
// UIDs (pseudonyms.h: the same original UID maps to the same new one in every object
// and every export of the project, so references between objects still resolve),
// unless Retain UIDs; dates move back by the patient's offset with the modified-dates
// option; descriptors kept by Clean Descriptors lose every occurrence of the object's
// own identifiers (names, IDs, accession number, birth date, institution). Patient ID
// and Patient's Name become the patient's pseudonym; PatientIdentityRemoved (YES),
// DeidentificationMethod and DeidentificationMethodCodeSequence (CID 7050) are set,
// and LongitudinalTemporalInformationModified (MODIFIED) with the dates option. The
// file meta information is made anew (no source AE title, no private meta), and the
// 128-byte preamble is zeros (it may carry anything, even an executable). The
// transfer syntax and pixel data are unchanged (no Clean Pixel Data: burned_in_text.h).
//
// Parsing is dicom::LoadObject's (hardened: depth and inflation limits); values
// larger than 4 KiB (pixel data) are copied from the input to the output unread, so
// memory stays near the size of the other attributes. Thread-safe: an immutable value;
// any number of threads may de-identify at once.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "deid/deidentify_request.h"
#include "deid/pseudonyms.h"

namespace pacsport::deid {

// What a de-identified object is, as sent.
struct DeidentifiedInstance {
  std::string study_uid;  // UIDs of the output (pseudonymous unless Retain UIDs)
  std::string series_uid;
  std::string sop_instance_uid;
  std::string sop_class_uid;
  std::string transfer_syntax_uid;
  std::string modality;
  std::string burned_in_annotation;  // BurnedInAnnotation as found ("" when absent)
};

class Deidentifier {
 public:
  Deidentifier(const ProjectKey& key, DeidentifyRequest request)
      : pseudonyms_(key), request_(std::move(request)) {}

  const DeidentifyRequest& request() const { return request_; }
  // The Patient ID (and Patient's Name) an original Patient ID is exported as.
  std::string PatientId(std::string_view original) const { return pseudonyms_.PatientId(original); }
  // The UID an original UID is exported as: the pseudonym, or itself with Retain UIDs.
  std::string Uid(std::string_view original) const;

  // A date (DA) of the patient with `original_patient_id` as exported: moved back by
  // the patient's offset with the modified-dates option, else nullopt (not shown).
  std::optional<std::string> Date(const std::string& date,
                                  std::string_view original_patient_id) const;

  // Receives the output in pieces, in order; an error stops the work and is returned.
  using Output = std::function<Status(std::string_view)>;

  // De-identifies `original` (a Part 10 file or a bare data set) to `out`.
  // kInvalidInput when it cannot be parsed (as dicom::LoadObject), or when DCMTK cannot
  // write it back (the reason without patient data); `out`'s error as it gave it.
  Result<DeidentifiedInstance> Apply(std::string_view original, const Output& out) const;

  // Apply, collecting the output.
  Result<DeidentifiedInstance> Apply(std::string_view original, std::string& bytes) const;

 private:
  Pseudonyms pseudonyms_;
  DeidentifyRequest request_;
};

}  // namespace pacsport::deid
