// Walks the audit trail's hash chain (audit_chain.h) and reports the first record
// that was changed, removed or reordered, or whose signature does not hold.
//
// What it proves: every sealed record from the chain's start (or the last retention
// archive) to its head is as it was sealed, in the order it was sealed, and, with a
// key, was sealed by the holder of that key. What it cannot see alone: records cut
// off the head of the chain (the newest ones) by someone with write access to the
// database; the chain head is also sent away (audit forwarding, export receipts) for
// that. Reads the index in pages; memory is bounded by the largest record's studies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/message_signer.h"
#include "index/index.h"

namespace pacsport {

struct AuditChainProblem {
  RowId record_id = 0;
  std::int64_t chain_seq = 0;
  std::string what;  // e.g. "its content was changed after it was sealed"
};

struct AuditChainReport {
  std::int64_t records = 0;      // sealed records checked
  std::int64_t in_progress = 0;  // records not sealed yet (exports under way)
  std::int64_t first_seq = 0;    // the chain's first seq in the index (after archives)
  std::int64_t head_seq = 0;     // the last record checked
  std::string head_hash;
  std::optional<AuditChainProblem> problem;  // the first one; the walk stops there
};

// Verifies the whole chain. Without `key`, only the hashes are checked (signatures
// are not); with it, every record must carry a valid signature by that key.
// An Error only when the index cannot be read.
Result<AuditChainReport> VerifyAuditChain(Index& index, const SignatureChecker* key);

}  // namespace pacsport
