// AuditArchiver: retention for the audit trail. Sealed records that started before
// the retention period are moved out of the index, oldest first and never out of
// chain order, into files of the archive directory, one per run:
//
//   DIR/audit-archive/audit-<first seq>-<last seq>.jsonl
//
// one JSON object per record: {"chainSeq", "content" (the exact text its hash covers,
// index/audit_chain.h), "studies": [[Study UID, Patient ID], ...], "prevHash",
// "recordHash", "keyId", "signature"}. A file is written whole under a temporary
// name, synced and renamed before the index forgets its records
// (Index::RecordAuditArchive), so a crash loses nothing: the next run writes the
// same file again. Nothing is dropped: the chain runs on from the archives into the
// index, and VerifyAuditArchives checks the files as `audit verify` checks the index.
// One thread at a time.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/error.h"
#include "core/message_signer.h"
#include "index/audit_chain_verifier.h"
#include "index/index.h"

namespace pacsport::audit {

class AuditArchiver {
 public:
  // `retention` > 0. Borrows `index`.
  AuditArchiver(Index& index, std::filesystem::path directory, std::chrono::seconds retention)
      : index_(index), directory_(std::move(directory)), retention_(retention) {}

  // Archives the records due at `now` (at most kMaxRecordsPerFile a file, as many
  // files as needed). Returns how many records it archived.
  Result<std::int64_t> ArchiveDue(SystemTime now);

  static constexpr std::int64_t kMaxRecordsPerFile = 100000;

 private:
  Result<std::int64_t> ArchiveOneFile(const std::string& cutoff);

  Index& index_;
  const std::filesystem::path directory_;
  const std::chrono::seconds retention_;
};

// Runs ArchiveDue at once and then every `interval` on a thread of its own, until the
// returned thread is destroyed; a failed run is logged and tried again next time.
// An empty thread when `retention` is zero (records are kept in the index).
std::jthread StartAuditRetention(Index& index, const std::filesystem::path& directory,
                                 std::chrono::seconds retention, std::chrono::seconds interval);

// Checks the archive files of `directory` in chain order: each record's hash, its
// link to the one before (across files), its signature with `key` when given; and
// that the last one ends where the index's chain begins (`anchor`, the index's last
// archive). The report's problem names the first break (record_id is the record's
// id in its file). Error only when a file cannot be read.
Result<AuditChainReport> VerifyAuditArchives(const std::filesystem::path& directory,
                                             const std::optional<AuditArchive>& anchor,
                                             const SignatureChecker* key);

}  // namespace pacsport::audit
