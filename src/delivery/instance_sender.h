// InstanceSender: one destination's way of delivering an export's instances to
// another PACS (DICOM C-STORE, DICOMweb STOW-RS), the last step of an export job whose
// destination is of kind "dicom" or "dicomweb" (destination_kinds.h).
//
// A sender is made from a destination's settings and decrypted secrets for one use
// and then dropped. Send takes every instance the feed gives, retries each one that
// fails for a transient reason (the peer unreachable, busy, 5xx) within its
// RetryPolicy, and reports every instance's outcome: sent, already present at the
// peer, or refused with the peer's status. It then asks the peer what it holds of
// each study sent (C-FIND, QIDO-RS) and reports the counts beside what was sent.
// Both calls give up when `stop` is requested, then answering kUnavailable.
// Errors, for the push as a whole (never for one refused instance, which is in the
// report), as archive_sender.h: kUnavailable, kForbidden, kInvalidInput; and the
// feed's own error, passed on.
#pragma once

#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stop_token>
#include <string>
#include <vector>

#include "core/error.h"
#include "export/instance_feed.h"

namespace pacsport::delivery {

enum class PushOutcome { kSent, kAlreadyPresent, kRefused };

struct PushedInstance {
  std::string study_uid;
  std::string sop_instance_uid;
  PushOutcome outcome = PushOutcome::kSent;
  std::string peer_status;          // the peer's answer, e.g. "0xA700" (C-STORE) or "0110H" (STOW)
  std::string transfer_syntax_uid;  // as sent
  bool transcoded = false;          // sent in another (lossless) transfer syntax than stored
};

// What the peer holds of one study after the push, beside what this push gave it.
struct StudyVerification {
  std::string study_uid;
  std::int64_t pushed = 0;         // instances sent or already present
  std::int64_t held_by_peer = -1;  // -1: the peer could not be asked
};

// At most this many refused, transcoded instances and verified studies are named in a
// report; its counts are whole.
inline constexpr std::size_t kMaxListedInstances = 100;

// What a push did, held in memory bounded by its studies, not its instances (a push
// of a hospital's every instance must not grow with them): whole counts, the first
// kMaxListedInstances refused and transcoded instances, one verification per study.
class PushReport {
 public:
  // Counts `instance` by its final outcome (a sender adds each instance once, when
  // nothing can change its outcome any more).
  void Add(const PushedInstance& instance);
  std::int64_t Count(PushOutcome outcome) const;
  std::int64_t Transcoded() const { return transcoded_; }
  std::int64_t Total() const;
  // The first refused instances, in the order added.
  const std::vector<PushedInstance>& refused() const { return refused_; }

  // The studies met, in feed order; a sender fills in `pushed` and `held_by_peer`.
  std::vector<StudyVerification>& studies() { return studies_; }
  const std::vector<StudyVerification>& studies() const { return studies_; }

  // The job's "deliveredTo": {"kind", the peer's address, "sent", "alreadyPresent",
  // "refused", "transcoded", "refusedInstances": [{"sopInstanceUid", "status"}…],
  // "transcodedInstances": [...], "verification": [{"studyUid", "pushed", "heldByPeer",
  // "complete": heldByPeer >= pushed}…]} (heldByPeer and complete null when unknown);
  // `where` names the peer (no secret). "verification" names the studies not known to
  // be complete first, at most kMaxListedInstances in all.
  nlohmann::ordered_json Json(const nlohmann::ordered_json& where) const;
  // "" when the peer took every instance; else what the push's failure says, e.g.
  // "the peer refused 2 of 5 instances: 1.2.3 (0xA700), 1.2.4 (0xA700)", naming the
  // first few.
  std::string Refusals() const;

 private:
  std::int64_t counts_[3] = {0, 0, 0};  // by PushOutcome
  std::int64_t transcoded_ = 0;
  std::vector<PushedInstance> refused_;          // the first kMaxListedInstances
  std::vector<PushedInstance> transcoded_list_;  // the first kMaxListedInstances
  std::vector<StudyVerification> studies_;
};

class InstanceSender {
 public:
  virtual ~InstanceSender() = default;
  // Checks that the peer answers and accepts this server (C-ECHO; a QIDO-RS query),
  // leaving nothing behind (the destinations' "test" action).
  virtual Status Check(std::stop_token stop) = 0;
  // Sends every instance of `feed`, adding 1 to `instances_done` as each one is
  // settled (sent, present or refused).
  virtual Result<PushReport> Send(InstanceFeed& feed, std::stop_token stop,
                                  std::atomic<std::int64_t>& instances_done) = 0;
  // The peer, as the report and the audit name it, e.g. {"kind":"dicom","aeTitle":…,
  // "host":…,"port":…}.
  virtual nlohmann::ordered_json Where() const = 0;
};

}  // namespace pacsport::delivery
