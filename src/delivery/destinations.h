// Destinations: each hospital's places to deliver exports to (an S3 bucket, an Azure
// container, e-mail recipients take archives; another PACS takes instances), managed
// by the hospital's admins, and the JobDelivery that sends a job's archive, or pushes
// its instances, to one.
//
// A destination is checked when saved: its kind's sender is made from it
// (destination_kinds.h), so a bad setting is a 400 naming the key, not a failed job
// later. Secrets are write-only: sealed with the SecretBox under a context naming the
// hospital, never returned, never logged; an update merges them (a string sets a key,
// null removes it) so an admin can change a setting without retyping a password.
// Another hospital's destination is kNotFound, as an absent one. Every change and
// test is audited as the admin's. Thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <stop_token>
#include <vector>

#include "auth/secret_box.h"
#include "core/records.h"
#include "delivery/destination_kinds.h"
#include "export/export_service.h"
#include "export/job_delivery.h"
#include "index/index.h"

namespace pacsport::delivery {

// A destination as shown: settings parsed, secrets only by name.
struct DestinationView {
  DestinationRecord record;  // its secrets field is cleared
  nlohmann::json settings;
  std::vector<std::string> secret_names;
};

class Destinations final : public JobDelivery {
 public:
  // Borrows `index` and `box`; they must outlive this object.
  Destinations(Index& index, const auth::SecretBox& box, SenderContext context);

  // `body` is {"name", "kind", "settings", "secrets"} (secrets optional). kForbidden
  // unless the caller is an admin; kInvalidInput naming what is wrong; kConflict for a
  // name the hospital has.
  Result<DestinationView> Create(const Principal& admin, const nlohmann::json& body,
                                 const ExportAttempt& attempt);
  // Any user of the hospital (the export dialog offers them), by name.
  Result<std::vector<DestinationView>> List(const Principal& principal);
  Result<DestinationView> Get(const Principal& principal, RowId id);
  // `body` holds any of name, settings (replaced whole) and secrets (merged).
  Result<DestinationView> Update(const Principal& admin, RowId id, const nlohmann::json& body,
                                 const ExportAttempt& attempt);
  Status Delete(const Principal& admin, RowId id, const ExportAttempt& attempt);
  // Checks the destination (ArchiveSender::Check, InstanceSender::Check); its outcome
  // is the Status.
  Result<Status> Test(const Principal& admin, RowId id, const ExportAttempt& attempt,
                      std::stop_token stop);

  // JobDelivery.
  Status CheckDestination(const Principal& principal, RowId destination_id) override;
  std::string DestinationLabel(const JobRecord& job) override;
  Result<DeliveredArchive> Deliver(const JobRecord& job, const std::filesystem::path& archive,
                                   std::stop_token stop,
                                   std::atomic<std::uint64_t>& bytes_sent) override;
  bool TakesInstances(const JobRecord& job) override;
  Result<PushedExport> Push(const JobRecord& job, InstanceFeed& feed, std::stop_token stop,
                            std::atomic<std::int64_t>& instances_done) override;

 private:
  // A stored destination's kind, settings and opened secrets.
  struct Opened {
    DestinationKind kind;
    nlohmann::json settings;
    nlohmann::json secrets;
  };
  Result<Opened> Open(const DestinationRecord& destination) const;
  // The senders of a stored destination.
  Result<std::unique_ptr<ArchiveSender>> SenderOf(const DestinationRecord& destination);
  Result<std::unique_ptr<InstanceSender>> InstanceSenderOf(const DestinationRecord& destination);
  // The job's destination; kNotFound when it was removed.
  Result<DestinationRecord> DestinationOf(const JobRecord& job);
  // Checks and seals `destination`'s settings and `secrets` into it.
  Status Seal(DestinationRecord& destination, const nlohmann::json& settings,
              const nlohmann::json& secrets);
  Result<nlohmann::json> OpenSecrets(const DestinationRecord& destination) const;
  // Records an action on `destination`; a failed `outcome` is "denied" when it refused
  // the request itself (`refusal`), else "failed".
  void Audit(const ExportAttempt& attempt, const Principal& principal,
             const DestinationRecord& destination, const Status& outcome, std::string detail,
             bool refusal = true);

  Index& index_;
  const auth::SecretBox& box_;
  const SenderContext context_;
};

}  // namespace pacsport::delivery
