// AuditForwarder: sends every sealed export record, in chain order, as a DICOM audit
// message (atna_message.h) over syslog (syslog_sender.h) to one audit record
// repository.
//
// How far the chain was sent is kept in the index per destination (the repository's
// URL): after each message is sent, the record's chain_seq is recorded, so nothing is
// skipped across restarts or while the repository is down. A record sent but not yet
// recorded when pacsport stops is sent again: delivery is at least once, and a
// repository may see a message twice. A destination never sent to before gets the
// whole chain the index holds. Records taken by a retention archive before they were
// sent are not sent.
//
// In the background (Start), a thread sends what is pending, then waits for Notify or
// the poll interval; after a failure it retries with an exponential backoff (doubling
// from min_backoff up to max_backoff). It stops when the forwarder is destroyed: at
// once when waiting, else after the message being sent (bounded by the sender's
// timeout). Thread-safe: Notify from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "audit/atna_message.h"
#include "audit/syslog_sender.h"
#include "core/error.h"
#include "index/index.h"

namespace pacsport::audit {

// What the forwarder reads and records of the audit trail; IndexAuditChain is the
// Index's (the calls of the same names there).
class AuditChain {
 public:
  virtual ~AuditChain() = default;
  virtual Result<std::vector<AuditRecord>> ListSealedAudit(std::int64_t after_seq,
                                                           std::size_t limit) = 0;
  // Every study of the record.
  virtual Result<std::vector<AuditStudy>> ListAuditStudies(RowId id) = 0;
  virtual Result<std::int64_t> GetAuditForwarded(const std::string& destination) = 0;
  virtual Status SetAuditForwarded(const std::string& destination, std::int64_t last_seq) = 0;
};

// Borrows the index, which must outlive it. Thread-safe as the Index is.
class IndexAuditChain : public AuditChain {
 public:
  explicit IndexAuditChain(Index& index) : index_(index) {}
  Result<std::vector<AuditRecord>> ListSealedAudit(std::int64_t after_seq,
                                                   std::size_t limit) override;
  Result<std::vector<AuditStudy>> ListAuditStudies(RowId id) override;
  Result<std::int64_t> GetAuditForwarded(const std::string& destination) override;
  Status SetAuditForwarded(const std::string& destination, std::int64_t last_seq) override;

 private:
  Index& index_;
};

struct ForwarderSettings {
  std::string destination;  // the repository's URL, under which progress is kept
  AtnaSource source;        // AuditSourceID and process id of every message
  std::string hostname;     // the syslog HOSTNAME
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds min_backoff{1000};
  std::chrono::milliseconds max_backoff{60000};
  std::size_t batch = 100;  // records read from the index at a time
};

// The machine's host name, for AuditSourceID and HOSTNAME; "localhost" when unknown.
std::string LocalHostName();

class AuditForwarder {
 public:
  // Borrows `chain`, which must outlive the forwarder; owns `sender`.
  AuditForwarder(AuditChain& chain, std::unique_ptr<SyslogSender> sender,
                 ForwarderSettings settings);
  ~AuditForwarder();  // stops the thread, if started
  AuditForwarder(const AuditForwarder&) = delete;
  AuditForwarder& operator=(const AuditForwarder&) = delete;

  // Starts the background thread. Call once.
  void Start();
  // Wakes the thread to send what is pending now (say, a record just sealed).
  void Notify();

  // Sends every record sealed after the destination's progress, one at a time, each
  // recorded once sent. Returns how many were sent; the first error of the index or
  // the sender stops it (what was sent stays recorded). Stops early, successfully,
  // when `stop` is requested. For the thread, and for tests without one.
  Result<std::int64_t> ForwardPending(const std::stop_token& stop = {});

 private:
  void Run(const std::stop_token& stop);
  // Waits `duration`, or until Notify (when `wake_on_notify`) or a stop request.
  void Wait(std::chrono::milliseconds duration, bool wake_on_notify, const std::stop_token& stop);

  AuditChain& chain_;
  const std::unique_ptr<SyslogSender> sender_;  // used by one thread at a time
  const ForwarderSettings settings_;
  std::mutex mutex_;
  std::condition_variable_any woken_;
  bool notified_ = false;  // Protected by mutex_
  std::jthread thread_;    // last: stopped and joined first
};

}  // namespace pacsport::audit
