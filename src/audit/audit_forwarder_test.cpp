#include "audit/audit_forwarder.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>

namespace pacsport::audit {
namespace {

using std::chrono::milliseconds;

// An audit chain in memory.
class FakeChain : public AuditChain {
 public:
  void Seal(AuditOutcome outcome, std::vector<AuditStudy> studies) {
    std::lock_guard lock(mutex_);
    AuditRecord record;
    record.id = static_cast<RowId>(records_.size() + 100);
    record.started_at = "2026-12-03T10:00:00.000Z";
    record.username = "alice";
    record.outcome = outcome;
    record.chain_seq = static_cast<std::int64_t>(records_.size() + 1);
    studies_[record.id] = std::move(studies);
    records_.push_back(record);
  }
  std::int64_t Forwarded(const std::string& destination) {
    std::lock_guard lock(mutex_);
    return forwarded_[destination];
  }

  Result<std::vector<AuditRecord>> ListSealedAudit(std::int64_t after_seq,
                                                   std::size_t limit) override {
    std::lock_guard lock(mutex_);
    std::vector<AuditRecord> out;
    for (const AuditRecord& r : records_) {
      if (*r.chain_seq > after_seq && out.size() < limit) out.push_back(r);
    }
    return out;
  }
  Result<std::vector<AuditStudy>> ListAuditStudies(RowId id) override {
    std::lock_guard lock(mutex_);
    return studies_[id];
  }
  Result<std::int64_t> GetAuditForwarded(const std::string& destination) override {
    return Forwarded(destination);
  }
  Status SetAuditForwarded(const std::string& destination, std::int64_t last_seq) override {
    std::lock_guard lock(mutex_);
    forwarded_[destination] = last_seq;
    return Status::Ok();
  }

 private:
  std::mutex mutex_;
  std::vector<AuditRecord> records_;                  // Protected by mutex_
  std::map<RowId, std::vector<AuditStudy>> studies_;  // Protected by mutex_
  std::map<std::string, std::int64_t> forwarded_;     // Protected by mutex_
};

// Keeps what it is sent; fails while `down`.
class FakeSender : public SyslogSender {
 public:
  Status Send(std::string_view message) override {
    std::lock_guard lock(mutex_);
    ++attempts;
    if (down) return Unavailable("down");
    messages.emplace_back(message);
    return Status::Ok();
  }
  std::mutex mutex_;
  bool down = false;                  // Protected by mutex_
  int attempts = 0;                   // Protected by mutex_
  std::vector<std::string> messages;  // Protected by mutex_
};

struct Forwarding {
  explicit Forwarding(const ForwarderSettings& settings = {.destination = "tls://repo:6514",
                                                           .source = {"pacs-1", "42"},
                                                           .hostname = "host-1",
                                                           .poll_interval = milliseconds(60'000),
                                                           .min_backoff = milliseconds(10),
                                                           .max_backoff = milliseconds(40),
                                                           .batch = 2}) {
    auto owned = std::make_unique<FakeSender>();
    sender = owned.get();
    forwarder = std::make_unique<AuditForwarder>(chain, std::move(owned), settings);
  }
  size_t Received() {
    std::lock_guard lock(sender->mutex_);
    return sender->messages.size();
  }
  FakeChain chain;
  FakeSender* sender = nullptr;  // owned by forwarder
  std::unique_ptr<AuditForwarder> forwarder;
};

TEST(AuditForwarder, SendsTheChainInOrderAndRecordsProgress) {
  Forwarding f;
  f.chain.Seal(AuditOutcome::kSuccess, {{"1.2.3", "PID-1"}});
  f.chain.Seal(AuditOutcome::kDenied, {});
  f.chain.Seal(AuditOutcome::kFailed, {});
  auto sent = f.forwarder->ForwardPending();
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(*sent, 3);  // in batches of 2
  EXPECT_EQ(f.chain.Forwarded("tls://repo:6514"), 3);
  ASSERT_EQ(f.sender->messages.size(), 3u);
  EXPECT_TRUE(f.sender->messages[0].starts_with("<85>1 "));
  EXPECT_NE(f.sender->messages[0].find(" host-1 pacsport 42 IHE+RFC-3881 - "), std::string::npos);
  EXPECT_NE(f.sender->messages[0].find(R"(ParticipantObjectID="PID-1")"), std::string::npos);
  EXPECT_TRUE(f.sender->messages[1].starts_with("<84>1 "));
  EXPECT_TRUE(f.sender->messages[2].starts_with("<83>1 "));

  // Nothing more to send; a new record is sent alone.
  EXPECT_EQ(*f.forwarder->ForwardPending(), 0);
  f.chain.Seal(AuditOutcome::kSuccess, {});
  EXPECT_EQ(*f.forwarder->ForwardPending(), 1);
  EXPECT_EQ(f.chain.Forwarded("tls://repo:6514"), 4);
  EXPECT_EQ(f.chain.Forwarded("udp://elsewhere:514"), 0);
}

TEST(AuditForwarder, AFailedSendKeepsTheRecordPending) {
  Forwarding f;
  f.chain.Seal(AuditOutcome::kSuccess, {});
  f.chain.Seal(AuditOutcome::kSuccess, {});
  f.sender->down = true;
  auto failed = f.forwarder->ForwardPending();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(f.chain.Forwarded("tls://repo:6514"), 0);
  f.sender->down = false;
  EXPECT_EQ(*f.forwarder->ForwardPending(), 2);
  EXPECT_EQ(f.chain.Forwarded("tls://repo:6514"), 2);
}

TEST(AuditForwarder, BackgroundThreadRetriesUntilTheRepositoryIsUp) {
  Forwarding f;
  f.chain.Seal(AuditOutcome::kSuccess, {});
  {
    std::lock_guard lock(f.sender->mutex_);
    f.sender->down = true;
  }
  f.forwarder->Start();
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard lock(f.sender->mutex_);
      if (f.sender->attempts >= 3) break;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  {
    std::lock_guard lock(f.sender->mutex_);
    EXPECT_GE(f.sender->attempts, 3);
    f.sender->down = false;
  }
  for (int i = 0; i < 500 && f.Received() < 1; ++i) std::this_thread::sleep_for(milliseconds(10));
  EXPECT_EQ(f.Received(), 1u);

  // The poll interval is a minute: Notify wakes it for a record just sealed.
  f.chain.Seal(AuditOutcome::kSuccess, {});
  f.forwarder->Notify();
  for (int i = 0; i < 500 && f.Received() < 2; ++i) std::this_thread::sleep_for(milliseconds(10));
  EXPECT_EQ(f.Received(), 2u);
  EXPECT_EQ(f.chain.Forwarded("tls://repo:6514"), 2);
}

TEST(AuditForwarder, StopsPromptlyWhileWaiting) {
  Forwarding f;
  f.forwarder->Start();
  std::this_thread::sleep_for(milliseconds(20));
  const auto start = std::chrono::steady_clock::now();
  f.forwarder.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1000));
}

}  // namespace
}  // namespace pacsport::audit
