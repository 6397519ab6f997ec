#include "delivery/instance_sender.h"

#include <algorithm>

namespace pacsport::delivery {
namespace {

using json = nlohmann::ordered_json;

// How many refused instances the job's error names.
constexpr std::size_t kNamedInRefusals = 5;

}  // namespace

std::int64_t PushReport::Count(PushOutcome outcome) const {
  return std::count_if(instances.begin(), instances.end(),
                       [outcome](const PushedInstance& i) { return i.outcome == outcome; });
}

std::int64_t PushReport::Transcoded() const {
  return std::count_if(instances.begin(), instances.end(),
                       [](const PushedInstance& i) { return i.transcoded; });
}

json PushReport::Json(const json& where) const {
  json refused = json::array();
  json transcoded = json::array();
  for (const PushedInstance& instance : instances) {
    if (instance.outcome == PushOutcome::kRefused && refused.size() < kMaxListedInstances) {
      refused.push_back(
          {{"sopInstanceUid", instance.sop_instance_uid}, {"status", instance.peer_status}});
    }
    if (instance.transcoded && transcoded.size() < kMaxListedInstances) {
      transcoded.push_back({{"sopInstanceUid", instance.sop_instance_uid},
                            {"transferSyntaxUid", instance.transfer_syntax_uid}});
    }
  }
  json verification = json::array();
  for (const StudyVerification& study : studies) {
    const bool known = study.held_by_peer >= 0;
    verification.push_back(
        {{"studyUid", study.study_uid},
         {"pushed", study.pushed},
         {"heldByPeer", known ? json(study.held_by_peer) : json(nullptr)},
         {"complete", known ? json(study.held_by_peer >= study.pushed) : json(nullptr)}});
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
  for (const PushedInstance& instance : instances) {
    if (instance.outcome != PushOutcome::kRefused) continue;
    if (listed == kNamedInRefusals) {
      named += ", and " + std::to_string(refused - static_cast<std::int64_t>(listed)) + " more";
      break;
    }
    named +=
        (listed == 0 ? "" : ", ") + instance.sop_instance_uid + " (" + instance.peer_status + ")";
    ++listed;
  }
  return "the peer refused " + std::to_string(refused) + " of " + std::to_string(instances.size()) +
         (instances.size() == 1 ? " instance: " : " instances: ") + named;
}

}  // namespace pacsport::delivery
