// ExportReceipt: a receipt verifies with its own key and with the key given; any
// changed field, manifest or foreign key is refused with what is wrong.
#include "export/export_receipt.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "core/digest.h"
#include "tests/support/temp_dir.h"

namespace pacsport {
namespace {

class ExportReceiptTest : public ::testing::Test {
 protected:
  ExportReceipt Receipt() const {
    ExportReceipt receipt;
    receipt.audit_id = 42;
    receipt.request_id = "req-7";
    receipt.username = "dr.ünal";
    receipt.role = "user";
    receipt.hospital_name = "St. \"Quoted\" Hospital";
    receipt.exported_at = "2026-12-03T16:00:00.000Z";
    receipt.scope = "patient";
    receipt.target = "PAT-1";
    receipt.archive_name = "patient_PAT-1_export.zip";
    receipt.signer = &key_;
    return receipt;
  }

  const std::string manifest_ = Sha256Hex("abc  1.dcm\n");
  testing::TempDir dir_;
  const auth::SigningKey key_ = auth::SigningKey::LoadOrCreate(dir_.path() / "key").ValueOrThrow();
  const auth::SigningKey foreign_ =
      auth::SigningKey::LoadOrCreate(dir_.path() / "foreign").ValueOrThrow();
};

TEST_F(ExportReceiptTest, DocumentHasEveryFieldAndVerifies) {
  const std::string json = ReceiptDocument(Receipt(), manifest_);
  const auto document = nlohmann::json::parse(json);
  EXPECT_EQ(document["format"], "pacsport-export-receipt-v1");
  EXPECT_EQ(document["auditRecordId"], 42);
  EXPECT_EQ(document["requestId"], "req-7");
  EXPECT_EQ(document["exportedBy"]["username"], "dr.ünal");
  EXPECT_EQ(document["exportedBy"]["role"], "user");
  EXPECT_EQ(document["exportedBy"]["hospital"], "St. \"Quoted\" Hospital");
  EXPECT_EQ(document["exportedAt"], "2026-12-03T16:00:00.000Z");
  EXPECT_EQ(document["scope"], "patient");
  EXPECT_EQ(document["target"], "PAT-1");
  EXPECT_EQ(document["archiveName"], "patient_PAT-1_export.zip");
  EXPECT_EQ(document["manifest"], "checksums.sha256");
  EXPECT_EQ(document["manifestSha256"], manifest_);
  EXPECT_EQ(document["keyId"], key_.key_id());
  EXPECT_EQ(document["publicKey"], key_.public_key().Base64());

  auto verified = VerifyReceipt(json, manifest_, std::nullopt);
  ASSERT_TRUE(verified.ok()) << verified.error().message();
  EXPECT_EQ(verified->receipt.audit_id, 42);
  EXPECT_EQ(verified->receipt.username, "dr.ünal");
  EXPECT_EQ(verified->receipt.hospital_name, "St. \"Quoted\" Hospital");
  EXPECT_EQ(verified->key_id, key_.key_id());
  EXPECT_FALSE(verified->key_given);
  auto pinned = VerifyReceipt(json, manifest_, key_.public_key());
  ASSERT_TRUE(pinned.ok()) << pinned.error().message();
  EXPECT_TRUE(pinned->key_given);
}

TEST_F(ExportReceiptTest, SignedTextIsTheDocumentedLines) {
  ExportReceipt receipt = Receipt();
  receipt.target = "A\nB";
  EXPECT_EQ(ReceiptSignedText(receipt, "m", "k", "p"),
            "pacsport-export-receipt-v1\n"
            "auditRecordId=42\n"
            "requestId=\"req-7\"\n"
            "exportedBy.username=\"dr.ünal\"\n"
            "exportedBy.role=\"user\"\n"
            "exportedBy.hospital=\"St. \\\"Quoted\\\" Hospital\"\n"
            "exportedAt=\"2026-12-03T16:00:00.000Z\"\n"
            "scope=\"patient\"\n"
            "target=\"A\\nB\"\n"
            "archiveName=\"patient_PAT-1_export.zip\"\n"
            "manifest=\"checksums.sha256\"\n"
            "manifestSha256=\"m\"\n"
            "keyId=\"k\"\n"
            "publicKey=\"p\"\n");
  receipt.target = std::string("\x01", 1);
  EXPECT_NE(ReceiptSignedText(receipt, "m", "k", "p").find("target=\"\\u0001\"\n"),
            std::string::npos);
}

TEST_F(ExportReceiptTest, RefusesAChangedManifest) {
  const std::string json = ReceiptDocument(Receipt(), manifest_);
  auto refused = VerifyReceipt(json, Sha256Hex("abd  1.dcm\n"), std::nullopt);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("manifestSha256"), std::string::npos);
}

TEST_F(ExportReceiptTest, RefusesEveryChangedField) {
  const auto original = nlohmann::json::parse(ReceiptDocument(Receipt(), manifest_));
  const std::vector<nlohmann::json::json_pointer> fields = {"/auditRecordId"_json_pointer,
                                                            "/requestId"_json_pointer,
                                                            "/exportedBy/username"_json_pointer,
                                                            "/exportedBy/role"_json_pointer,
                                                            "/exportedBy/hospital"_json_pointer,
                                                            "/exportedAt"_json_pointer,
                                                            "/scope"_json_pointer,
                                                            "/target"_json_pointer,
                                                            "/archiveName"_json_pointer};
  for (const auto& field : fields) {
    nlohmann::json changed = original;
    if (changed[field].is_number()) {
      changed[field] = 43;
    } else {
      changed[field] = changed[field].get<std::string>() + "x";
    }
    auto refused = VerifyReceipt(changed.dump(), manifest_, std::nullopt);
    ASSERT_FALSE(refused.ok()) << field.to_string();
    EXPECT_NE(refused.error().message().find("signature"), std::string::npos)
        << field.to_string() << ": " << refused.error().message();
  }
}

TEST_F(ExportReceiptTest, RefusesAForeignKey) {
  const std::string json = ReceiptDocument(Receipt(), manifest_);
  auto refused = VerifyReceipt(json, manifest_, foreign_.public_key());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find(foreign_.key_id()), std::string::npos);

  // Re-signed by another key, it verifies only against that key.
  ExportReceipt resigned = Receipt();
  resigned.signer = &foreign_;
  const std::string forged = ReceiptDocument(resigned, manifest_);
  EXPECT_TRUE(VerifyReceipt(forged, manifest_, std::nullopt).ok());
  EXPECT_FALSE(VerifyReceipt(forged, manifest_, key_.public_key()).ok());

  // Its key swapped for another without re-signing, it does not verify.
  auto swapped = nlohmann::json::parse(json);
  swapped["publicKey"] = foreign_.public_key().Base64();
  swapped["keyId"] = foreign_.key_id();
  EXPECT_FALSE(VerifyReceipt(swapped.dump(), manifest_, std::nullopt).ok());
  // A keyId that does not name its key.
  swapped = nlohmann::json::parse(json);
  swapped["keyId"] = foreign_.key_id();
  auto misnamed = VerifyReceipt(swapped.dump(), manifest_, std::nullopt);
  ASSERT_FALSE(misnamed.ok());
  EXPECT_NE(misnamed.error().message().find("keyId"), std::string::npos);
}

TEST_F(ExportReceiptTest, RefusesMalformedReceipts) {
  auto with = [&](const std::function<void(nlohmann::json&)>& change) {
    auto document = nlohmann::json::parse(ReceiptDocument(Receipt(), manifest_));
    change(document);
    return document.dump();
  };
  const std::vector<std::string> cases = {
      "",
      "not json",
      "[]",
      "{}",
      with([](auto& d) { d["format"] = "pacsport-export-receipt-v2"; }),
      with([](auto& d) { d.erase("signature"); }),
      with([](auto& d) { d["signature"] = 7; }),
      with([](auto& d) { d["auditRecordId"] = "42"; }),
      with([](auto& d) { d["exportedBy"] = "dr.ünal"; }),
      with([](auto& d) { d["exportedBy"].erase("role"); }),
      with([](auto& d) { d["manifest"] = "other.sha256"; }),
      with([](auto& d) { d["publicKey"] = "AAAA"; }),
      with([](auto& d) { d["signature"] = "AAAA"; }),
  };
  for (const std::string& json : cases) {
    auto refused = VerifyReceipt(json, manifest_, std::nullopt);
    ASSERT_FALSE(refused.ok()) << json;
    EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidInput) << json;
  }
}

}  // namespace
}  // namespace pacsport
