// OrthancCatalog against an in-process HTTP server answering as Orthanc 1.10 does,
// and as it should not.
#include "orthanc/orthanc_catalog.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

namespace pacsport {
namespace {

// An Orthanc ID made of one repeated hex digit.
std::string Id(char digit) {
  std::string id;
  for (int group = 0; group < 5; ++group) id += (group ? "-" : "") + std::string(8, digit);
  return id;
}

nlohmann::json Described(char digit) {
  return {{"ID", Id(digit)}, {"FileUuid", std::string("uuid-") + digit}, {"FileSize", 100}};
}

class OrthancCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Five instances, listed by position like Orthanc's /instances?expand&since=&limit=.
    server_.Get("/instances", [](const httplib::Request& req, httplib::Response& res) {
      const size_t since = std::stoul(req.get_param_value("since"));
      const size_t limit = std::stoul(req.get_param_value("limit"));
      nlohmann::json page = nlohmann::json::array();
      for (size_t i = since; i < 5 && i < since + limit; ++i) page.push_back(Described("abcde"[i]));
      res.set_content(page.dump(), "application/json");
    });
    server_.Get(R"(/instances/([0-9a-f-]+))",
                [](const httplib::Request& req, httplib::Response& res) {
                  if (req.matches[1] != Id('a')) {
                    res.status = 404;
                    return;
                  }
                  res.set_content(Described('a').dump(), "application/json");
                });
    server_.Get("/changes", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(changes_.dump(), "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    settings_.name = "test";
    settings_.url = "http://127.0.0.1:" + std::to_string(port_);
    settings_.retries = 0;
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  OrthancSettings settings_;
  nlohmann::json changes_;  // the answer to /changes
};

TEST_F(OrthancCatalogTest, ListsEveryPage) {
  RestClient client(settings_);
  for (int page_size : {1, 2, 5, 1000}) {
    auto listed = OrthancCatalog(client, page_size).ListInstances();
    ASSERT_TRUE(listed.ok()) << listed.error().message();
    ASSERT_EQ(listed->size(), 5u) << page_size;
    EXPECT_EQ((*listed)[4].id, Id('e'));
    EXPECT_EQ((*listed)[4].file_uuid, "uuid-e");
    EXPECT_EQ((*listed)[4].size, 100);
  }
}

TEST_F(OrthancCatalogTest, DescribesAnInstanceOrAnswersThatThereIsNone) {
  RestClient client(settings_);
  OrthancCatalog catalog(client, 10);
  auto held = catalog.Describe(Id('a'));
  ASSERT_TRUE(held.ok() && held->has_value());
  EXPECT_EQ((*held)->file_uuid, "uuid-a");
  auto gone = catalog.Describe(Id('b'));
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  EXPECT_EQ(catalog.Describe("../system").error().code(), ErrorCode::kInvalidInput);
}

TEST_F(OrthancCatalogTest, ReadsNewInstancesAndRefusesABadId) {
  RestClient client(settings_);
  OrthancCatalog catalog(client, 10);
  changes_ = {{"Changes",
               {{{"ChangeType", "NewInstance"}, {"ID", Id('c')}},
                {{"ChangeType", "NewSeries"}, {"ID", "not-an-instance"}}}},
              {"Done", true},
              {"Last", 7}};
  std::vector<std::string> ids;
  std::int64_t last = 0;
  ASSERT_TRUE(catalog.ReadNewInstances(0, ids, last).ok());
  EXPECT_EQ(ids, std::vector<std::string>{Id('c')});
  EXPECT_EQ(last, 7);

  changes_["Changes"][0]["ID"] = "../../system";
  Status bad = catalog.ReadNewInstances(0, ids, last);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInternal);
}

}  // namespace
}  // namespace pacsport
