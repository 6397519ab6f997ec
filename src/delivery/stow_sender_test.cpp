// The dicomweb destination's settings and secrets (every documented key accepted, any
// other refused naming it), and its sending against a peer that answers as told: batches,
// refusals, unlisted instances, already present, verification, retries, credentials.
// Orthanc's real answers are in dicomweb_answers_test.cpp, and a real Orthanc in
// tests/integration/test_push_dicomweb.py.
#include "delivery/stow_sender.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

namespace pacsport::delivery {
namespace {

// The message of MakeStowSender's kInvalidInput, or "ok".
std::string Refusal(const nlohmann::json& settings, const nlohmann::json& secrets) {
  auto sender = MakeStowSender(settings, secrets, SenderContext{});
  if (sender.ok()) return "ok";
  EXPECT_EQ(sender.error().code(), ErrorCode::kInvalidInput);
  return sender.error().message();
}

const nlohmann::json kUrl = {{"url", "http://127.0.0.1:8042/dicom-web/"}};

TEST(StowSettings, AcceptsEveryDocumentedKeyAndNamesThePeerWithoutItsSecrets) {
  EXPECT_EQ(Refusal(kUrl, nlohmann::json::object()), "ok");
  EXPECT_EQ(Refusal({{"url", "https://pacs.example.org/dicomweb"},
                     {"auth", "basic"},
                     {"batchInstances", 1000},
                     {"batchBytes", 1}},
                    {{"username", "pacsport"}, {"password", "s3cret:with colon"}}),
            "ok");
  EXPECT_EQ(Refusal({{"url", "https://pacs.example.org/"}, {"auth", "bearer"}},
                    {{"token", "eyJhbGciOi.J9"}}),
            "ok");
  auto sender = MakeStowSender({{"url", "http://127.0.0.1:8042/dicom-web/"}, {"auth", "basic"}},
                               {{"username", "u"}, {"password", "the-password"}}, SenderContext{});
  ASSERT_TRUE(sender.ok());
  EXPECT_EQ((*sender)->Where().dump(),
            R"({"kind":"dicomweb","url":"http://127.0.0.1:8042/dicom-web"})");
}

TEST(StowSettings, RefusesBadSettingsNamingTheKey) {
  const auto with = [](const char* key, nlohmann::json value) {
    nlohmann::json settings = kUrl;
    if (value.is_null()) {
      settings.erase(key);
    } else {
      settings[key] = value;
    }
    return Refusal(settings, nlohmann::json::object());
  };
  EXPECT_EQ(with("url", nullptr), "settings.url is required");
  EXPECT_EQ(with("url", 8042), "settings.url must be a string");
  for (const char* url :
       {"ftp://pacs/dicom-web", "pacs:8042/dicom-web", "http://user:secret@pacs/dicom-web",
        "http://pacs/dicom-web?x=1", "http://pacs/dicom web"}) {
    EXPECT_EQ(with("url", url),
              "settings.url must be an http:// or https:// URL without credentials, query or "
              "fragment")
        << url;
  }
  EXPECT_EQ(with("auth", "digest"), "settings.auth must be \"none\", \"basic\" or \"bearer\"");
  EXPECT_EQ(with("batchInstances", 0), "settings.batchInstances must be an integer from 1 to 1000");
  EXPECT_EQ(with("batchInstances", 1001),
            "settings.batchInstances must be an integer from 1 to 1000");
  EXPECT_EQ(with("batchBytes", 0), "settings.batchBytes must be an integer from 1 to 1073741824");
  EXPECT_EQ(with("batchSize", 10), "settings.batchSize is not a known key");
  EXPECT_EQ(Refusal("http://pacs", nlohmann::json::object()), "settings must be a JSON object");
}

TEST(StowSettings, SecretsAreExactlyThoseTheAuthNeeds) {
  const nlohmann::json basic = {{"url", "http://pacs/dicom-web"}, {"auth", "basic"}};
  const nlohmann::json bearer = {{"url", "http://pacs/dicom-web"}, {"auth", "bearer"}};
  EXPECT_EQ(Refusal(basic, {{"username", "u"}}), "secrets.password is required");
  EXPECT_EQ(Refusal(basic, {{"password", "p"}}), "secrets.username is required");
  EXPECT_EQ(Refusal(basic, {{"username", "a:b"}, {"password", "p"}}),
            "secrets.username must not contain ':' (HTTP basic authentication)");
  EXPECT_EQ(Refusal(basic, {{"username", "u"}, {"password", "p"}, {"token", "t"}}),
            "secrets.token is not a known key");
  EXPECT_EQ(Refusal(bearer, nlohmann::json::object()), "secrets.token is required");
  EXPECT_EQ(Refusal(bearer, {{"token", "a\r\nX-Injected: 1"}}),
            "secrets.token must not contain spaces or line breaks");
  EXPECT_EQ(Refusal(kUrl, {{"password", "p"}}), "secrets.password is not a known key");
}

// A DICOMweb peer in the test (cpp-httplib on loopback) that records each STOW-RS
// request and answers as it is told; its instances are text naming their SOP Instance
// UID ("sop=UID;"), so that it can tell which ones a request carried.
class FakePeer {
 public:
  // What the peer answers to a POST carrying these SOP Instance UIDs: an HTTP status and
  // the UIDs it lists as stored and as failed (with a US reason); the rest go unlisted.
  struct Answer {
    int status = 200;
    std::vector<std::string> stored;
    std::map<std::string, unsigned> failed;
  };
  std::function<Answer(const std::vector<std::string>&)> answer = [](const auto& uids) {
    return Answer{200, uids, {}};
  };
  std::set<std::string> held;     // what QIDO-RS lists; POSTs add the stored ones
  std::set<std::string> dropped;  // stored in answers but never held (a silent filter)
  std::vector<std::vector<std::string>> posts;  // the UIDs of each POST, in order
  std::vector<std::string> content_types, authorizations;
  int queries = 0;                    // QIDO-RS requests (pages)
  std::vector<std::string> requests;  // "POST", "GET <study>", in order

  FakePeer() {
    server_.Post("/dicom-web/studies", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      std::vector<std::string> uids;
      static const std::regex kSop("sop=([0-9.]+);");
      for (auto it = std::sregex_iterator(req.body.begin(), req.body.end(), kSop);
           it != std::sregex_iterator(); ++it) {
        uids.push_back((*it)[1]);
      }
      posts.push_back(uids);
      requests.push_back("POST");
      content_types.push_back(req.get_header_value("Content-Type"));
      authorizations.push_back(req.get_header_value("Authorization"));
      const Answer a = answer(uids);
      nlohmann::json stored = nlohmann::json::array(), failed = nlohmann::json::array();
      for (const std::string& uid : a.stored) {
        stored.push_back({{"00081155", {{"vr", "UI"}, {"Value", {uid}}}}});
        if (!dropped.contains(uid)) held.insert(uid);
      }
      for (const auto& [uid, reason] : a.failed) {
        failed.push_back({{"00081155", {{"vr", "UI"}, {"Value", {uid}}}},
                          {"00081197", {{"vr", "US"}, {"Value", {reason}}}}});
      }
      res.status = a.status;
      res.set_content(nlohmann::json{{"00081198", {{"vr", "SQ"}, {"Value", failed}}},
                                     {"00081199", {{"vr", "SQ"}, {"Value", stored}}}}
                          .dump(),
                      "application/dicom+json");
    });
    server_.Get(R"(/dicom-web/studies/([0-9.]+)/instances)",
                [this](const httplib::Request& req, httplib::Response& res) {
                  std::lock_guard lock(mutex_);
                  EXPECT_EQ(req.get_param_value("includefield"), "00080018");
                  const std::size_t offset = std::stoul(req.get_param_value("offset"));
                  const std::size_t limit = std::stoul(req.get_param_value("limit"));
                  ++queries;
                  requests.push_back("GET " + req.matches[1].str());
                  nlohmann::json found = nlohmann::json::array();
                  std::size_t matched = 0;
                  for (const std::string& uid : held) {
                    if (!uid.starts_with(req.matches[1].str() + ".")) continue;
                    if (matched++ >= offset && found.size() < limit) {
                      found.push_back({{"00080018", {{"vr", "UI"}, {"Value", {uid}}}}});
                    }
                  }
                  res.set_content(found.dump(), "application/dicom+json");
                });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakePeer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/dicom-web"; }

 private:
  httplib::Server server_;
  std::mutex mutex_;
  int port_ = 0;
  std::thread thread_;
};

// `count` instances of each study (SOP Instance UIDs "STUDY.N", N from 1), `size`
// bytes each, study after study.
class Instances final : public InstanceFeed {
 public:
  Instances(int count, std::size_t size, const std::vector<std::string>& studies = {"1.9"}) {
    for (int i = 0; i < count * static_cast<int>(studies.size()); ++i) {
      const int n = i % count + 1;
      OutgoingInstance instance;
      instance.study_uid = studies[i / count];
      instance.sop_instance_uid = instance.study_uid + "." + std::to_string(n);
      instance.transfer_syntax_uid = "1.2.840.10008.1.2.1";
      instance.bytes = "sop=" + instance.sop_instance_uid + ";";
      instance.bytes.resize(std::max(size, instance.bytes.size()), '\0');
      instances_.push_back(std::move(instance));
    }
  }
  std::int64_t count() const override { return static_cast<std::int64_t>(instances_.size()); }
  Result<std::optional<OutgoingInstance>> Next(std::stop_token) override {
    if (next_ == instances_.size()) return std::optional<OutgoingInstance>();
    return std::optional<OutgoingInstance>(instances_[next_++]);
  }

 private:
  std::vector<OutgoingInstance> instances_;
  std::size_t next_ = 0;
};

Result<PushReport> Push(FakePeer& peer, nlohmann::json settings, Instances feed,
                        const nlohmann::json& secrets = nlohmann::json::object()) {
  settings["url"] = peer.url();
  SenderContext context;
  context.retry.attempts = 3;
  context.retry.first_pause = std::chrono::milliseconds(1);
  auto sender = MakeStowSender(settings, secrets, context);
  EXPECT_TRUE(sender.ok());
  std::atomic<std::int64_t> done{0};
  auto report = (*sender)->Send(feed, std::stop_token(), done);
  if (report.ok()) {
    EXPECT_EQ(done.load(), feed.count());
  }
  return report;
}

using Uids = std::vector<std::string>;

TEST(StowSender, BatchesHoldAtMostBatchInstancesAndBatchBytes) {
  FakePeer peer;
  auto report = Push(peer, {{"batchInstances", 2}}, Instances(5, 100));
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(peer.posts, (std::vector<Uids>{{"1.9.1", "1.9.2"}, {"1.9.3", "1.9.4"}, {"1.9.5"}}));
  EXPECT_TRUE(peer.content_types[0].starts_with(
      "multipart/related; type=\"application/dicom\"; boundary=pacsport-"))
      << peer.content_types[0];
  EXPECT_EQ(report->Count(PushOutcome::kSent), 5);
  ASSERT_EQ(report->studies().size(), 1u);
  EXPECT_EQ(report->studies()[0].pushed, 5);
  EXPECT_EQ(report->studies()[0].held_by_peer, 5);

  FakePeer by_bytes;  // 250 bytes hold two of 100; an instance over the limit goes alone
  ASSERT_TRUE(Push(by_bytes, {{"batchBytes", 250}}, Instances(3, 100)).ok());
  EXPECT_EQ(by_bytes.posts, (std::vector<Uids>{{"1.9.1", "1.9.2"}, {"1.9.3"}}));
  FakePeer big;
  ASSERT_TRUE(Push(big, {{"batchBytes", 50}}, Instances(2, 100)).ok());
  EXPECT_EQ(big.posts, (std::vector<Uids>{{"1.9.1"}, {"1.9.2"}}));
}

TEST(StowSender, FailedSopsAreRefusedWithTheirReasonAndUnlistedOnesAreSentAgainAlone) {
  FakePeer peer;
  peer.answer = [](const Uids& uids) {
    if (uids.size() == 1) return FakePeer::Answer{200, uids, {}};
    return FakePeer::Answer{202, {"1.9.2"}, {{"1.9.1", 0xA700}}};  // 1.9.3 unlisted
  };
  auto report = Push(peer, nlohmann::json::object(), Instances(3, 10));
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(peer.posts, (std::vector<Uids>{{"1.9.1", "1.9.2", "1.9.3"}, {"1.9.3"}}));
  EXPECT_EQ(report->Total(), 3);
  ASSERT_EQ(report->refused().size(), 1u);
  EXPECT_EQ(report->refused()[0].sop_instance_uid, "1.9.1");
  EXPECT_EQ(report->refused()[0].peer_status, "A700H");
  EXPECT_EQ(report->Count(PushOutcome::kSent), 2);
  EXPECT_EQ(report->studies()[0].pushed, 2);

  FakePeer silent;  // lists nothing, even for one instance
  silent.answer = [](const Uids&) { return FakePeer::Answer{400, {}, {}}; };
  report = Push(silent, nlohmann::json::object(), Instances(2, 10));
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(silent.posts.size(), 3u);
  EXPECT_EQ(report->Count(PushOutcome::kRefused), 2);
  EXPECT_EQ(report->refused()[1].peer_status, "HTTP 400, the instance not listed in the answer");
}

TEST(StowSender, WhatThePeerHoldsIsNotSentAndWhatItDropsIsRefused) {
  FakePeer peer;
  peer.held = {"1.9.2"};
  peer.dropped = {"1.9.3"};
  auto report = Push(peer, nlohmann::json::object(), Instances(3, 10));
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(peer.posts, (std::vector<Uids>{{"1.9.1", "1.9.3"}}));
  EXPECT_EQ(report->Count(PushOutcome::kAlreadyPresent), 1);
  ASSERT_EQ(report->refused().size(), 1u);
  EXPECT_EQ(report->refused()[0].sop_instance_uid, "1.9.3");
  EXPECT_EQ(report->refused()[0].peer_status, "acknowledged, but not held by the peer afterwards");
  EXPECT_EQ(report->studies()[0].pushed, 2);
  EXPECT_EQ(report->studies()[0].held_by_peer, 2);
}

TEST(StowSender, EachStudyIsSentAndVerifiedBeforeTheNextBegins) {
  FakePeer peer;
  peer.dropped = {"1.8.2"};
  auto report = Push(peer, nlohmann::json::object(), Instances(2, 10, {"1.8", "1.9"}));
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(peer.requests,
            (std::vector<std::string>{"GET 1.8", "POST", "GET 1.8", "GET 1.9", "POST", "GET 1.9"}));
  EXPECT_EQ(peer.posts, (std::vector<Uids>{{"1.8.1", "1.8.2"}, {"1.9.1", "1.9.2"}}));
  ASSERT_EQ(report->studies().size(), 2u);
  EXPECT_EQ(report->studies()[0].pushed, 1);
  EXPECT_EQ(report->studies()[0].held_by_peer, 1);
  EXPECT_EQ(report->studies()[1].pushed, 2);
  EXPECT_EQ(report->Count(PushOutcome::kSent), 3);
  ASSERT_EQ(report->refused().size(), 1u);
  EXPECT_EQ(report->refused()[0].sop_instance_uid, "1.8.2");
}

TEST(StowSender, WhatThePeerHoldsIsReadPageByPage) {
  FakePeer peer;
  for (int n = 1; n <= 1201; ++n) peer.held.insert("1.9." + std::to_string(n));
  auto report = Push(peer, nlohmann::json::object(), Instances(1202, 10));
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(peer.posts, (std::vector<Uids>{{"1.9.1202"}}));
  EXPECT_EQ(report->Count(PushOutcome::kAlreadyPresent), 1201);
  EXPECT_EQ(report->studies()[0].held_by_peer, 1202);
  EXPECT_EQ(peer.queries, 6);  // 500 + 500 + 201, before and after
}

TEST(StowSender, AnUnavailablePeerIsRetriedWholeAndRefusedCredentialsAreForbidden) {
  FakePeer busy;
  busy.answer = [](const Uids&) { return FakePeer::Answer{503, {}, {}}; };
  auto report = Push(busy, {{"batchInstances", 2}}, Instances(2, 10));
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(busy.posts, (std::vector<Uids>(3, Uids{"1.9.1", "1.9.2"})));  // 3 attempts

  FakePeer refusing;
  refusing.answer = [](const Uids&) { return FakePeer::Answer{401, {}, {}}; };
  report = Push(refusing, {{"auth", "bearer"}}, Instances(1, 10), {{"token", "tok-123"}});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code(), ErrorCode::kForbidden);
  EXPECT_EQ(refusing.posts.size(), 1u);
  EXPECT_EQ(refusing.authorizations[0], "Bearer tok-123");
  EXPECT_EQ(report.error().message().find("tok-123"), std::string::npos);
}

}  // namespace
}  // namespace pacsport::delivery
