// ExportReceipt: receipt.json, the signed statement that ends every ZIP export
// (docs/export-format.md, "Receipt"). It names the audit record, who exported what
// and when, and the SHA-256 of the checksums of every other entry, all signed with
// the server's Ed25519 key, so that whoever holds the archive and the hospital's
// public key can prove the archive is exactly what was exported.
//
// The signature covers a text anyone can rebuild from receipt.json's fields (not a
// JSON serialization): the line "pacsport-export-receipt-v1", then one line
// "name=value" per field in this order: auditRecordId, requestId, exportedBy.username,
// exportedBy.role, exportedBy.hospital, exportedAt, scope, target, archiveName,
// manifest, manifestSha256, keyId, publicKey; every line ends in "\n". auditRecordId
// is written as a decimal number, every other value as a JSON string: quoted, with
// '"', '\\' and the control characters below 0x20 escaped (\b \f \n \r \t, else
// \u00xx in lowercase hex) and anything else, non-ASCII included, as its UTF-8
// bytes; so no value can add a line.
//
// In the archive, receipt.json is the last entry, after checksums.sha256, whose last
// line is receipt.json's own (so `sha256sum -c` checks it too); its
// manifestSha256 is the SHA-256 of the bytes of checksums.sha256 that precede that
// line: the checksum lines of every entry but these two.
// Thread-safe: functions of values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/signing_key.h"
#include "core/error.h"
#include "core/message_signer.h"
#include "core/records.h"

namespace pacsport {

inline constexpr std::string_view kReceiptFormat = "pacsport-export-receipt-v1";
inline constexpr std::string_view kReceiptEntry = "receipt.json";
inline constexpr std::string_view kManifestEntry = "checksums.sha256";

// What one receipt states about its export.
struct ExportReceipt {
  RowId audit_id = 0;
  std::string request_id;  // X-Request-Id, as in the access log; "" for a job or the CLI
  std::string username;
  std::string role;  // RoleName
  std::string hospital_name;
  std::string exported_at;  // ISO 8601 UTC
  std::string scope;        // ScopeName: study, patient, all, studies or patients
  std::string target;       // ExportedTarget: as the audit names it, pseudonymous if de-identified
  std::string archive_name;
  // Signs the receipt; borrowed. Null in a receipt read back from an archive.
  const PublicKeySigner* signer = nullptr;
};

// The text the signature covers, for `receipt` with these manifest digest and key.
std::string ReceiptSignedText(const ExportReceipt& receipt, std::string_view manifest_sha256,
                              std::string_view key_id, std::string_view public_key);

// receipt.json for `receipt`, signed by receipt.signer (required), whose
// manifestSha256 is `manifest_sha256` (64 lowercase hex digits).
std::string ReceiptDocument(const ExportReceipt& receipt, std::string_view manifest_sha256);

// What a receipt that verified states.
struct VerifiedReceipt {
  ExportReceipt receipt;  // signer null
  std::string manifest_sha256;
  std::string key_id;
  std::string public_key;  // base64
  bool key_given = false;  // checked against the key given, not only its own
};

// Checks receipt.json's text: its format and fields; that its manifestSha256 is
// `manifest_sha256` (the SHA-256 of the checksums lines before the receipt's own);
// that its keyId names its publicKey; that its signature verifies with that key; and,
// when `expected` is given, that the key is `expected`. kInvalidInput naming the
// first problem otherwise.
Result<VerifiedReceipt> VerifyReceipt(std::string_view json, std::string_view manifest_sha256,
                                      const std::optional<auth::PublicKey>& expected);

}  // namespace pacsport
