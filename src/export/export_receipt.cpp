#include "export/export_receipt.h"

#include <array>
#include <nlohmann/json.hpp>

namespace pacsport {
namespace {

// A value as a JSON string, as receipt.json and the signed text write it.
std::string Quoted(std::string_view value) {
  return nlohmann::json(std::string(value))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The string field `name` of `object`; kInvalidInput when absent or not a string.
Result<std::string> StringField(const nlohmann::json& object, const char* name,
                                std::string_view where = "") {
  const auto found = object.find(name);
  if (found == object.end() || !found->is_string()) {
    return InvalidInput("receipt.json has no string \"" + std::string(where) + name + "\"");
  }
  return found->get<std::string>();
}

}  // namespace

std::string ReceiptSignedText(const ExportReceipt& receipt, std::string_view manifest_sha256,
                              std::string_view key_id, std::string_view public_key) {
  const std::array<std::pair<std::string_view, std::string_view>, 12> fields = {{
      {"requestId", receipt.request_id},
      {"exportedBy.username", receipt.username},
      {"exportedBy.role", receipt.role},
      {"exportedBy.hospital", receipt.hospital_name},
      {"exportedAt", receipt.exported_at},
      {"scope", receipt.scope},
      {"target", receipt.target},
      {"archiveName", receipt.archive_name},
      {"manifest", kManifestEntry},
      {"manifestSha256", manifest_sha256},
      {"keyId", key_id},
      {"publicKey", public_key},
  }};
  std::string text = std::string(kReceiptFormat) + "\n";
  text += "auditRecordId=" + std::to_string(receipt.audit_id) + "\n";
  for (const auto& [name, value] : fields) {
    text.append(name).append("=").append(Quoted(value)).append("\n");
  }
  return text;
}

std::string ReceiptDocument(const ExportReceipt& receipt, std::string_view manifest_sha256) {
  const std::string key_id = receipt.signer->key_id();
  const std::string public_key = receipt.signer->public_key_base64();
  nlohmann::ordered_json document;
  document["format"] = kReceiptFormat;
  document["auditRecordId"] = receipt.audit_id;
  document["requestId"] = receipt.request_id;
  document["exportedBy"] = {
      {"username", receipt.username}, {"role", receipt.role}, {"hospital", receipt.hospital_name}};
  document["exportedAt"] = receipt.exported_at;
  document["scope"] = receipt.scope;
  document["target"] = receipt.target;
  document["archiveName"] = receipt.archive_name;
  document["manifest"] = kManifestEntry;
  document["manifestSha256"] = manifest_sha256;
  document["keyId"] = key_id;
  document["publicKey"] = public_key;
  document["signature"] =
      receipt.signer->Sign(ReceiptSignedText(receipt, manifest_sha256, key_id, public_key));
  return document.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

Result<VerifiedReceipt> VerifyReceipt(std::string_view json, std::string_view manifest_sha256,
                                      const std::optional<auth::PublicKey>& expected) {
  const auto document = nlohmann::json::parse(json, nullptr, false);
  if (!document.is_object()) return InvalidInput("receipt.json is not a JSON object");
  auto format = StringField(document, "format");
  if (!format.ok()) return format.error();
  if (*format != kReceiptFormat) {
    return InvalidInput("receipt.json's format is \"" + *format + "\", not \"" +
                        std::string(kReceiptFormat) + "\"");
  }
  const auto audit_id = document.find("auditRecordId");
  if (audit_id == document.end() || !audit_id->is_number_integer()) {
    return InvalidInput("receipt.json has no integer \"auditRecordId\"");
  }
  const auto exported_by = document.find("exportedBy");
  if (exported_by == document.end() || !exported_by->is_object()) {
    return InvalidInput("receipt.json has no object \"exportedBy\"");
  }
  VerifiedReceipt verified;
  ExportReceipt& receipt = verified.receipt;
  receipt.audit_id = audit_id->get<RowId>();
  std::string manifest, signature;
  const std::array<std::pair<const char*, std::string*>, 10> top = {{
      {"requestId", &receipt.request_id},
      {"exportedAt", &receipt.exported_at},
      {"scope", &receipt.scope},
      {"target", &receipt.target},
      {"archiveName", &receipt.archive_name},
      {"manifest", &manifest},
      {"manifestSha256", &verified.manifest_sha256},
      {"keyId", &verified.key_id},
      {"publicKey", &verified.public_key},
      {"signature", &signature},
  }};
  for (const auto& [name, out] : top) {
    auto value = StringField(document, name);
    if (!value.ok()) return value.error();
    *out = std::move(*value);
  }
  const std::array<std::pair<const char*, std::string*>, 3> exporter = {{
      {"username", &receipt.username},
      {"role", &receipt.role},
      {"hospital", &receipt.hospital_name},
  }};
  for (const auto& [name, out] : exporter) {
    auto value = StringField(*exported_by, name, "exportedBy.");
    if (!value.ok()) return value.error();
    *out = std::move(*value);
  }

  if (manifest != kManifestEntry) {
    return InvalidInput("receipt.json's manifest is \"" + manifest + "\", not \"" +
                        std::string(kManifestEntry) + "\"");
  }
  if (verified.manifest_sha256 != manifest_sha256) {
    return InvalidInput(
        "receipt.json's manifestSha256 does not match checksums.sha256: the checksums were "
        "changed after the export");
  }
  auto key = auth::PublicKey::Parse(verified.public_key);
  if (!key.ok()) return InvalidInput("receipt.json's publicKey: " + key.error().message());
  if (key->id() != verified.key_id) {
    return InvalidInput("receipt.json's keyId " + verified.key_id +
                        " does not name its publicKey (key id " + key->id() + ")");
  }
  const std::string text =
      ReceiptSignedText(receipt, verified.manifest_sha256, verified.key_id, verified.public_key);
  if (!key->Verify(text, signature)) {
    return InvalidInput("receipt.json's signature does not verify: the receipt was changed");
  }
  if (expected) {
    if (expected->Base64() != key->Base64()) {
      return InvalidInput("receipt.json was signed by key " + key->id() +
                          ", not by the given key " + expected->id());
    }
    verified.key_given = true;
  }
  return verified;
}

}  // namespace pacsport
