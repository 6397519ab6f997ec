#include "export/metadata_document.h"

#include "export/deidentified_records.h"
#include "export/record_json.h"

namespace pacsport {
namespace {

using json = nlohmann::ordered_json;

constexpr std::size_t kPieceBytes = std::size_t{64} << 10;

std::string Dump(const json& value) {
  return value.dump(2, ' ', false, json::error_handler_t::replace);
}

// Where a patient's or a study's files are in the archive: null when it has no folder
// of its own there, or when the archive holds no files.
json FolderJson(const std::string& folder, bool includes_images) {
  return folder.empty() || !includes_images ? json(nullptr) : json(folder);
}

// The spec's patient block: the record plus the export date and its folder.
json PatientObject(const PlannedPatient& patient, std::int64_t study_count,
                   const std::string& export_date, bool includes_images,
                   const deid::Deidentifier* deidentifier) {
  json object = PatientJson(patient.patient);
  if (deidentifier != nullptr) DeidentifyPatientJson(*deidentifier, patient.patient, object);
  object["studyCount"] = study_count;
  object["exportDate"] = export_date;
  object["folder"] = FolderJson(patient.folder, includes_images);
  return object;
}

json StudyObject(const PlannedStudy& study, bool includes_images,
                 const deid::Deidentifier* deidentifier) {
  json object = StudyJson(study.study);
  if (deidentifier != nullptr) DeidentifyStudyJson(*deidentifier, study.study, object);
  object["folder"] = FolderJson(study.folder, includes_images);
  return object;
}

json InstanceObject(const PlannedInstance& instance, const InstanceOutcome* outcome,
                    const deid::Deidentifier* deidentifier) {
  json object = InstanceJson(instance.record);
  if (deidentifier != nullptr) {
    DeidentifyInstanceJson(*deidentifier, instance.record,
                           outcome != nullptr ? outcome->sha256 : std::nullopt,
                           outcome != nullptr ? outcome->size : std::nullopt, object);
  }
  object["file"] = instance.dicom_entry.empty() ? json(nullptr) : json(instance.dicom_entry);
  object["previews"] = json::array();
  if (outcome != nullptr) {
    object["previews"] = outcome->previews;
    if (outcome->preview_error) object["previewError"] = *outcome->preview_error;
  }
  return object;
}

json MetadataObject(const ExportSummary& plan, bool includes_images,
                    const std::string& export_date) {
  json object = {{"exportedBy", plan.principal.username},
                 {"exportedAt", export_date},
                 {"version", "1.0"},
                 {"includesImages", includes_images},
                 {"hospital", plan.principal.hospital_name},
                 {"exportType", ScopeName(plan.request.scope)}};
  if (plan.deidentifier != nullptr) {
    json deidentification = DeidentifyJson(plan.deidentifier->request());
    json codes = json::array();
    for (const deid::MethodCode& code : deid::MethodCodes(plan.deidentifier->request())) {
      codes.push_back({{"codeValue", code.value},
                       {"codingSchemeDesignator", "DCM"},
                       {"codeMeaning", code.meaning}});
    }
    deidentification["methodCodes"] = std::move(codes);
    object["deidentification"] = std::move(deidentification);
  }
  return object;
}

// Writes the document as nlohmann's dump(2) would lay it out, a value at a time: a
// value's own dump, indented to its depth (a dumped string never holds a raw newline).
class DocumentWriter {
 public:
  explicit DocumentWriter(const std::function<Status(std::string_view)>& out) : out_(out) {}

  // `"key": ` at depth 1, after the previous member's separator.
  Status Key(std::string_view key) {
    std::string text = first_member_ ? "{\n  " : ",\n  ";
    first_member_ = false;
    text += Dump(json(std::string(key))) + ": ";
    return Put(text);
  }
  // A value at depth 1 (a member of the document).
  Status Value(const json& value) { return Put(Indented(value, "  ")); }
  Status BeginArray() {
    first_element_ = true;
    return Status::Ok();
  }
  // An element of the open array, at depth 2.
  Status Element(const json& value) {
    std::string text = first_element_ ? "[\n    " : ",\n    ";
    first_element_ = false;
    text += Indented(value, "    ");
    return Put(text);
  }
  Status EndArray() { return Put(first_element_ ? "[]" : "\n  ]"); }
  Status End() {
    if (Status s = Put("\n}\n"); !s.ok()) return s;
    return Flush();
  }

 private:
  static std::string Indented(const json& value, std::string_view indent) {
    const std::string dumped = Dump(value);
    std::string text;
    text.reserve(dumped.size() + dumped.size() / 8);
    for (char c : dumped) {
      text += c;
      if (c == '\n') text += indent;
    }
    return text;
  }

  Status Put(const std::string& text) {
    buffer_ += text;
    return buffer_.size() >= kPieceBytes ? Flush() : Status::Ok();
  }
  Status Flush() {
    if (buffer_.empty()) return Status::Ok();
    Status s = out_(buffer_);
    buffer_.clear();
    return s;
  }

  const std::function<Status(std::string_view)>& out_;
  std::string buffer_;
  bool first_member_ = true;
  bool first_element_ = true;
};

}  // namespace

std::string EncodeOutcome(const InstanceOutcome& outcome) {
  json record = json::object();
  record["p"] = outcome.previews;
  if (outcome.preview_error) record["e"] = *outcome.preview_error;
  if (outcome.sha256) record["s"] = *outcome.sha256;
  if (outcome.size) record["n"] = *outcome.size;
  return record.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<InstanceOutcome> DecodeOutcome(std::string_view encoded) {
  const json record = json::parse(encoded, nullptr, false);
  if (record.is_discarded() || !record.is_object() || !record.contains("p")) {
    return Internal("a spilled instance outcome does not parse");
  }
  InstanceOutcome outcome;
  outcome.previews = record["p"].get<std::vector<std::string>>();
  if (record.contains("e")) outcome.preview_error = record["e"].get<std::string>();
  if (record.contains("s")) outcome.sha256 = record["s"].get<std::string>();
  if (record.contains("n")) outcome.size = record["n"].get<std::int64_t>();
  return outcome;
}

std::string BuildMetadataDocument(const ExportPlan& plan, const InstanceOutcomes& outcomes,
                                  bool includes_images, SystemTime exported_at) {
  const std::string export_date = Iso8601(exported_at);
  const deid::Deidentifier* deidentifier = plan.deidentifier.get();
  json patients = json::array();
  json studies = json::array();
  json instances = json::array();
  for (const PlannedPatient& patient : plan.patients) {
    patients.push_back(PatientObject(patient, static_cast<std::int64_t>(patient.studies.size()),
                                     export_date, includes_images, deidentifier));
    for (const PlannedStudy& study : patient.studies) {
      studies.push_back(StudyObject(study, includes_images, deidentifier));
      for (const PlannedInstance& instance : study.instances) {
        const auto it = outcomes.find(instance.record.id);
        instances.push_back(
            InstanceObject(instance, it == outcomes.end() ? nullptr : &it->second, deidentifier));
      }
    }
  }

  json document = json::object();
  switch (plan.request.scope) {
    case ExportScope::kPatient:
      document["patient"] = std::move(patients.at(0));
      document["studies"] = std::move(studies);
      break;
    case ExportScope::kStudy:
    case ExportScope::kSeries:
      document["patient"] = std::move(patients.at(0));
      document["study"] = std::move(studies.at(0));
      break;
    case ExportScope::kAll:
    case ExportScope::kStudies:
    case ExportScope::kPatients:
      document["patients"] = std::move(patients);
      document["studies"] = std::move(studies);
      break;
  }
  document["instances"] = std::move(instances);
  document["metadata"] = MetadataObject(plan, includes_images, export_date);
  return Dump(document) + "\n";
}

Status WriteMetadataDocument(PlannedExport& plan, OutcomeSource* outcomes, bool includes_images,
                             SystemTime exported_at,
                             const std::function<Status(std::string_view)>& out) {
  const std::string export_date = Iso8601(exported_at);
  const ExportScope scope = plan.summary().request.scope;
  const deid::Deidentifier* deidentifier = plan.summary().deidentifier.get();
  const bool single_patient = scope == ExportScope::kPatient || IsSingleStudy(scope);
  DocumentWriter writer(out);

  // Calls `visit` at each step of a walk to `depth` of the kind asked.
  auto walk = [&](WalkDepth depth, PlanWalk::Step kind, auto&& visit) -> Status {
    PlanWalk walker = plan.Walk(depth);
    while (true) {
      auto step = walker.Next();
      if (!step.ok()) return step.error();
      if (*step == PlanWalk::Step::kEnd) return Status::Ok();
      if (*step != kind) continue;
      if (Status s = visit(walker); !s.ok()) return s;
    }
  };
  auto patient_object = [&](const PlanWalk& w) {
    return PatientObject(w.patient(), w.study_count(), export_date, includes_images, deidentifier);
  };

  // The patients: one object for a patient's or a study's export, else an array.
  if (single_patient) {
    if (Status s = writer.Key("patient"); !s.ok()) return s;
    bool written = false;
    Status s = walk(WalkDepth::kPatients, PlanWalk::Step::kPatient, [&](const PlanWalk& w) {
      if (written) return Status::Ok();
      written = true;
      return writer.Value(patient_object(w));
    });
    if (!s.ok()) return s;
    if (!written) return Internal("the export's patient is missing from its snapshot");
  } else {
    if (Status s = writer.Key("patients"); !s.ok()) return s;
    if (Status s = writer.BeginArray(); !s.ok()) return s;
    Status s = walk(WalkDepth::kPatients, PlanWalk::Step::kPatient,
                    [&](const PlanWalk& w) { return writer.Element(patient_object(w)); });
    if (!s.ok()) return s;
    if (Status e = writer.EndArray(); !e.ok()) return e;
  }

  // The studies: one object for a study's or a series' export, else an array.
  if (IsSingleStudy(scope)) {
    if (Status s = writer.Key("study"); !s.ok()) return s;
    bool written = false;
    Status s = walk(WalkDepth::kStudies, PlanWalk::Step::kStudy, [&](const PlanWalk& w) {
      if (written) return Status::Ok();
      written = true;
      return writer.Value(StudyObject(*w.study(), includes_images, deidentifier));
    });
    if (!s.ok()) return s;
    if (!written) return Internal("the export's study is missing from its snapshot");
  } else {
    if (Status s = writer.Key("studies"); !s.ok()) return s;
    if (Status s = writer.BeginArray(); !s.ok()) return s;
    Status s = walk(WalkDepth::kStudies, PlanWalk::Step::kStudy, [&](const PlanWalk& w) {
      return writer.Element(StudyObject(*w.study(), includes_images, deidentifier));
    });
    if (!s.ok()) return s;
    if (Status e = writer.EndArray(); !e.ok()) return e;
  }

  if (Status s = writer.Key("instances"); !s.ok()) return s;
  if (Status s = writer.BeginArray(); !s.ok()) return s;
  Status instances = walk(WalkDepth::kInstances, PlanWalk::Step::kStudy, [&](const PlanWalk& w) {
    for (const PlannedInstance& instance : w.study()->instances) {
      std::optional<InstanceOutcome> outcome;
      if (outcomes != nullptr) {
        auto next = outcomes->Next();
        if (!next.ok()) return Status(next.error());
        outcome = std::move(*next);
      }
      if (Status s =
              writer.Element(InstanceObject(instance, outcome ? &*outcome : nullptr, deidentifier));
          !s.ok()) {
        return s;
      }
    }
    return Status::Ok();
  });
  if (!instances.ok()) return instances;
  if (Status s = writer.EndArray(); !s.ok()) return s;

  if (Status s = writer.Key("metadata"); !s.ok()) return s;
  if (Status s = writer.Value(MetadataObject(plan.summary(), includes_images, export_date));
      !s.ok()) {
    return s;
  }
  return writer.End();
}

}  // namespace pacsport
