// The "dicom" kind's settings, its push report, and its failures without a peer; its
// conversation with real peers (storescp, dcmqrscp) is tested in
// tests/integration/test_push_dicom.py.
#include "delivery/dicom_store_sender.h"

#include <gtest/gtest.h>

namespace pacsport::delivery {
namespace {

using nlohmann::json;

json Settings() { return {{"aeTitle", "ARCHIVE"}, {"host", "127.0.0.1"}, {"port", 9}}; }

std::string Refusal(const json& settings, const json& secrets = json::object()) {
  auto sender = MakeInstanceSender(DestinationKind::kDicom, settings, secrets, SenderContext{});
  if (sender.ok()) return "accepted";
  EXPECT_EQ(sender.error().code(), ErrorCode::kInvalidInput);
  return sender.error().message();
}

json With(json settings, const std::string& key, json value) {
  settings[key] = std::move(value);
  return settings;
}

TEST(DicomStoreSenderTest, SettingsAreCheckedKeyByKey) {
  EXPECT_EQ(Refusal(Settings()), "accepted");
  EXPECT_EQ(Refusal(With(Settings(), "tls", true), {{"caCertificate", "PEM"}}), "accepted");
  EXPECT_EQ(Refusal(json::object()), "settings.aeTitle is required");
  EXPECT_EQ(Refusal(With(Settings(), "port", 0)),
            "settings.port must be an integer from 1 to 65535");
  EXPECT_EQ(Refusal(With(Settings(), "aeTitle", "A\\B")),
            "settings.aeTitle must be 1 to 16 printable characters without a backslash");
  EXPECT_EQ(Refusal(With(Settings(), "aeTitle", "SEVENTEEN_LETTERS")),
            "settings.aeTitle must be 1 to 16 printable characters without a backslash");
  EXPECT_EQ(Refusal(With(Settings(), "callingAeTitle", "    ")),
            "settings.callingAeTitle must be 1 to 16 printable characters without a backslash");
  EXPECT_EQ(Refusal(With(Settings(), "tls", "yes")), "settings.tls must be true or false");
  EXPECT_EQ(Refusal(With(Settings(), "bucket", "b")), "settings.bucket is not a known key");
  EXPECT_EQ(Refusal(Settings(), {{"caCertificate", "PEM"}}),
            "secrets.caCertificate needs settings.tls true");
}

TEST(DicomStoreSenderTest, APeerThatIsNotThereIsUnavailable) {
  SenderContext context;
  context.retry.attempts = 1;
  auto sender = MakeInstanceSender(DestinationKind::kDicom, Settings(), json::object(), context)
                    .ValueOrThrow();
  const Status checked = sender->Check({});
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(checked.error().message().find("127.0.0.1:9"), std::string::npos)
      << checked.error().message();
  EXPECT_EQ(sender->Where(), nlohmann::ordered_json::parse(
                                 R"({"kind":"dicom","aeTitle":"ARCHIVE","host":"127.0.0.1",)"
                                 R"("port":9,"tls":false})"));
}

TEST(PushReportTest, CountsListsAndNamesTheRefusals) {
  PushReport report;
  report.Add({"1.1", "1.1.1", PushOutcome::kSent, "0x0000", "1.2.840.10008.1.2.1", true});
  report.Add({"1.1", "1.1.2", PushOutcome::kAlreadyPresent, "", "", false});
  for (int i = 3; i <= 9; ++i) {
    report.Add({"1.1", "1.1." + std::to_string(i), PushOutcome::kRefused, "0xA700", "", false});
  }
  report.studies() = {{"1.1", 2, 2}, {"1.2", 0, -1}, {"1.3", 3, 1}};
  EXPECT_EQ(report.Count(PushOutcome::kSent), 1);
  EXPECT_EQ(report.Count(PushOutcome::kRefused), 7);
  EXPECT_EQ(report.Transcoded(), 1);
  EXPECT_EQ(report.Total(), 9);
  EXPECT_EQ(report.Refusals(),
            "the peer refused 7 of 9 instances: 1.1.3 (0xA700), 1.1.4 (0xA700), 1.1.5 (0xA700), "
            "1.1.6 (0xA700), 1.1.7 (0xA700), and 2 more");
  const auto json = report.Json({{"kind", "dicom"}});
  EXPECT_EQ(json["kind"], "dicom");
  EXPECT_EQ(json["sent"], 1);
  EXPECT_EQ(json["alreadyPresent"], 1);
  EXPECT_EQ(json["refused"], 7);
  EXPECT_EQ(json["transcoded"], 1);
  EXPECT_EQ(json["refusedInstances"].size(), 7u);
  EXPECT_EQ(json["refusedInstances"][0]["sopInstanceUid"], "1.1.3");
  EXPECT_EQ(json["transcodedInstances"][0]["transferSyntaxUid"], "1.2.840.10008.1.2.1");
  // The studies not known to be complete come first.
  EXPECT_EQ(json["verification"][0]["studyUid"], "1.2");
  EXPECT_EQ(json["verification"][0]["heldByPeer"], nullptr);
  EXPECT_EQ(json["verification"][0]["complete"], nullptr);
  EXPECT_EQ(json["verification"][1]["studyUid"], "1.3");
  EXPECT_EQ(json["verification"][1]["complete"], false);  // the peer holds fewer
  EXPECT_EQ(json["verification"][2]["heldByPeer"], 2);
  EXPECT_EQ(json["verification"][2]["complete"], true);
  EXPECT_EQ(PushReport{}.Refusals(), "");
}

TEST(PushReportTest, HoldsBoundedListsWhateverThePushSize) {
  PushReport report;
  constexpr int kInstances = 1000;
  for (int i = 0; i < kInstances; ++i) {
    const std::string uid = "1.2." + std::to_string(i);
    report.Add({"1.2", uid, PushOutcome::kRefused, "0xA700", "1.2.840.10008.1.2", true});
    report.studies().push_back({"1.3." + std::to_string(i), 1, i == 700 ? 0 : 1});
  }
  EXPECT_EQ(report.Count(PushOutcome::kRefused), kInstances);
  EXPECT_EQ(report.Transcoded(), kInstances);
  EXPECT_EQ(report.refused().size(), kMaxListedInstances);
  const auto json = report.Json(nlohmann::ordered_json::object());
  EXPECT_EQ(json["refusedInstances"].size(), kMaxListedInstances);
  EXPECT_EQ(json["transcodedInstances"].size(), kMaxListedInstances);
  ASSERT_EQ(json["verification"].size(), kMaxListedInstances);
  EXPECT_EQ(json["verification"][0]["studyUid"], "1.3.700");  // the incomplete one, listed
  EXPECT_EQ(json["verification"][1]["studyUid"], "1.3.0");
  EXPECT_NE(report.Refusals().find("and 995 more"), std::string::npos) << report.Refusals();
}

}  // namespace
}  // namespace pacsport::delivery
