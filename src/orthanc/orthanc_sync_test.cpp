// OrthancSync against an in-process HTTP server that plays an Orthanc holding a deflate
// bomb and an instance whose UIDs have leading zeros (as Orthanc accepts them).
#include "orthanc/orthanc_sync.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <httplib.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <map>
#include <sstream>
#include <thread>

#include "dicom/test_objects.h"
#include "tests/support/temp_dir.h"

namespace pacsport {
namespace {

std::string LeadingZeroUidFile() {
  return testing::Part10File(testing::Element(0x0008, 0x0018, "UI", "1.2.840.0010.5.003") +
                             testing::Element(0x0010, 0x0020, "LO", "ZEROS") +
                             testing::Element(0x0020, 0x000D, "UI", "1.2.840.0010.5.1") +
                             testing::Element(0x0020, 0x000E, "UI", "1.2.840.0010.5.02"));
}

// Orthanc's IDs: 40 hex digits in five groups of eight.
const std::string kBombId = "b0b0b0b0-b0b0b0b0-b0b0b0b0-b0b0b0b0-b0b0b0b0";
const std::string kZerosId = "00000000-11111111-22222222-33333333-44444444";

class OrthancSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    files_ = {{kBombId, testing::DeflateBomb(8, 1u << 20)}, {kZerosId, LeadingZeroUidFile()}};
    server_.Get("/changes", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"Changes": [], "Done": true, "Last": 2})", "application/json");
    });
    server_.Get("/instances", [this](const httplib::Request&, httplib::Response& res) {
      nlohmann::json listing = nlohmann::json::array();
      for (const auto& [id, bytes] : files_) {
        listing.push_back({{"ID", id}, {"FileUuid", "uuid-" + id}, {"FileSize", bytes.size()}});
      }
      res.set_content(listing.dump(), "application/json");
    });
    server_.Get(R"(/instances/([0-9a-f-]+)/file)",
                [this](const httplib::Request& req, httplib::Response& res) {
                  res.set_content(files_.at(req.matches[1]), "application/dicom");
                });
    const int port = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    settings_.name = "pacs";
    settings_.url = "http://127.0.0.1:" + std::to_string(port);
    index_ = OpenSqliteIndex((dir_.path() / "index.sqlite").string()).ValueOrThrow();
    hospital_ = index_->AddHospital("H").ValueOrThrow();
    logger_ = std::make_shared<spdlog::logger>(
        "sync", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_));
    previous_logger_ = spdlog::default_logger();
    spdlog::set_default_logger(logger_);
  }
  void TearDown() override {
    spdlog::set_default_logger(previous_logger_);
    server_.stop();
    thread_.join();
  }

  std::map<std::string, std::string> files_;
  httplib::Server server_;
  std::thread thread_;
  OrthancSettings settings_;
  testing::TempDir dir_;
  std::unique_ptr<Index> index_;
  RowId hospital_ = 0;
  std::ostringstream log_;
  std::shared_ptr<spdlog::logger> logger_, previous_logger_;
};

// The bomb is skipped and logged by its Orthanc ID, having inflated no more than the
// limit; the instance with leading-zero UIDs is indexed, not silently left out.
TEST_F(OrthancSyncTest, SkipsDeflateBombsAndIndexesLeadingZeroUids) {
  OrthancSource source(settings_);
  OrthancSync sync(*index_, source, hospital_, dicom::ParseLimits{std::uint64_t{4} << 20});
  auto report = sync.Pass(OrthancSync::Mode::kReconcile);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(report->added, 1);
  EXPECT_EQ(report->skipped, 1);
  logger_->flush();
  EXPECT_NE(log_.str().find("event=source_instance_skipped source=pacs orthanc_id=" + kBombId +
                            " "
                            "reason=\"the deflated DICOM dataset inflates beyond 4 MiB\""),
            std::string::npos)
      << log_.str();
  auto study = index_->GetStudy(hospital_, "1.2.840.0010.5.1");
  ASSERT_TRUE(study.ok()) << study.error().message();
  EXPECT_EQ(study->number_of_instances, 1);
  EXPECT_EQ(index_->ListPatients(hospital_, {}).ValueOrThrow().total, 1);
}

}  // namespace
}  // namespace pacsport
