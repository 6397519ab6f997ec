#include "delivery/instance_sender.h"

namespace pacsport::delivery {
namespace {

using json = nlohmann::ordered_json;

// How many refused instances the job's error names.
constexpr std::size_t kNamedInRefusals = 5;

}  // namespace

void PushReport::Add(const PushedInstance& instance) {
  ++counts_[static_cast<int>(instance.outcome)];
  if (instance.outcome == PushOutcome::kRefused && refused_.size() < kMaxListedInstances) {
    refused_.push_back(instance);
  }
  if (instance.transcoded) {
    ++transcoded_;
    if (transcoded_list_.size() < kMaxListedInstances) transcoded_list_.push_back(instance);
  }
}

std::int64_t PushReport::Count(PushOutcome outcome) const {
  return counts_[static_cast<int>(outcome)];
}

std::int64_t PushReport::Total() const { return counts_[0] + counts_[1] + counts_[2]; }

json PushReport::Json(const json& where) const {
  json refused = json::array();
  for (const PushedInstance& instance : refused_) {
    refused.push_back(
        {{"sopInstanceUid", instance.sop_instance_uid}, {"status", instance.peer_status}});
  }
  json transcoded = json::array();
  for (const PushedInstance& instance : transcoded_list_) {
    transcoded.push_back({{"sopInstanceUid", instance.sop_instance_uid},
                          {"transferSyntaxUid", instance.transfer_syntax_uid}});
  }
  const auto complete = [](const StudyVerification& study) {
    return study.held_by_peer >= 0 && study.held_by_peer >= study.pushed;
  };
  std::vector<const StudyVerification*> listed;
  for (bool completes : {false, true}) {
    for (const StudyVerification& study : studies_) {
      if (listed.size() == kMaxListedInstances) break;
      if (complete(study) == completes) listed.push_back(&study);
    }
  }
  json verification = json::array();
  for (const StudyVerification* study : listed) {
    const bool known = study->held_by_peer >= 0;
    verification.push_back({{"studyUid", study->study_uid},
                            {"pushed", study->pushed},
                            {"heldByPeer", known ? json(study->held_by_peer) : json(nullptr)},
                            {"complete", known ? json(complete(*study)) : json(nullptr)}});
  }
  json report = where;
  report["sent"] = Count(PushOutcome::kSent);
  report["alreadyPresent"] = Count(PushOutcome::kAlreadyPresent);
  report["refused"] = Count(PushOutcome::kRefused);
  report["transcoded"] = Transcoded();
  report["refusedInstances"] = std::move(refused);
  report["transcodedInstances"] = std::move(transcoded);
  report["verification"] = std::move(verification);
  return report;
}

std::string PushReport::Refusals() const {
  const std::int64_t refused = Count(PushOutcome::kRefused);
  if (refused == 0) return "";
  std::string named;
  std::size_t listed = 0;
  for (const PushedInstance& instance : refused_) {
    if (listed == kNamedInRefusals) break;
    named +=
        (listed == 0 ? "" : ", ") + instance.sop_instance_uid + " (" + instance.peer_status + ")";
    ++listed;
  }
  if (refused > static_cast<std::int64_t>(listed)) {
    named += ", and " + std::to_string(refused - static_cast<std::int64_t>(listed)) + " more";
  }
  return "the peer refused " + std::to_string(refused) + " of " + std::to_string(Total()) +
         (Total() == 1 ? " instance: " : " instances: ") + named;
}

}  // namespace pacsport::delivery
