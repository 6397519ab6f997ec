// The audit trail's hash chain: what a sealed record's hash and signature cover.
//
// Every completed audit record is sealed in the transaction that completes it:
//   chain_seq    = the previous sealed record's chain_seq + 1 (1 for the first)
//   record_hash  = SHA-256 hex of  prev_hash "\n" AuditContent(record, studies)
//   signature    = Ed25519 over     SealMessage(chain_seq, record_hash)
// so that changing a sealed record, its studies, removing one or reordering them
// breaks the chain from that record on, and rebuilding the chain needs the signing
// key. The first record's prev_hash is "" (or the last hash of the retention archive
// that took the records before it). Pure functions but ReadAuditStudies; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "index/index.h"

namespace pacsport {

// SHA-256 hex of a record's studies: lines "study_uid\tpatient_id\n" sorted by
// Study UID, as AddAuditStudies keeps them.
std::string AuditStudiesHash(const std::vector<AuditStudy>& studies);

// The canonical text of a record's content: a compact JSON object of every field
// but the seal (keys in a fixed order), with `studies_hash` and chain_seq.
std::string AuditContent(const AuditRecord& record, std::string_view studies_hash);

// record_hash of `record` (its chain_seq set) after `prev_hash`.
std::string AuditRecordHash(const AuditRecord& record, std::string_view studies_hash,
                            std::string_view prev_hash);

// Every study listed under record `id`, read a page at a time.
Result<std::vector<AuditStudy>> ReadAuditStudies(Index& index, RowId id);

// What the signature of a sealed record covers: "pacsport-audit-v1 SEQ HASH".
std::string AuditSealMessage(std::int64_t chain_seq, std::string_view record_hash);

}  // namespace pacsport
