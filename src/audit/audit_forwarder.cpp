#include "audit/audit_forwarder.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

namespace pacsport::audit {
namespace {

SyslogSeverity SeverityOf(AuditOutcome outcome) {
  switch (ExportOutcomeIndicator(outcome)) {
    case 0:
      return SyslogSeverity::kNotice;
    case 4:
      return SyslogSeverity::kWarning;
    default:
      return SyslogSeverity::kError;
  }
}

}  // namespace

Result<std::vector<AuditRecord>> IndexAuditChain::ListSealedAudit(std::int64_t after_seq,
                                                                  std::size_t limit) {
  return index_.ListSealedAudit(after_seq, limit);
}

Result<std::vector<AuditStudy>> IndexAuditChain::ListAuditStudies(RowId id) {
  std::vector<AuditStudy> studies;
  PageRequest page{.offset = 0, .limit = 1000};
  for (;;) {
    auto listed = index_.ListAuditStudies(id, page);
    if (!listed.ok()) return listed.error();
    const auto count = static_cast<std::int64_t>(listed->items.size());
    std::move(listed->items.begin(), listed->items.end(), std::back_inserter(studies));
    page.offset += count;
    if (count == 0 || page.offset >= listed->total) return studies;
  }
}

Result<std::int64_t> IndexAuditChain::GetAuditForwarded(const std::string& destination) {
  return index_.GetAuditForwarded(destination);
}

Status IndexAuditChain::SetAuditForwarded(const std::string& destination, std::int64_t last_seq) {
  return index_.SetAuditForwarded(destination, last_seq);
}

std::string LocalHostName() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

AuditForwarder::AuditForwarder(AuditChain& chain, std::unique_ptr<SyslogSender> sender,
                               ForwarderSettings settings)
    : chain_(chain), sender_(std::move(sender)), settings_(std::move(settings)) {}

AuditForwarder::~AuditForwarder() = default;

void AuditForwarder::Start() {
  thread_ = std::jthread([this](const std::stop_token& stop) { Run(stop); });
}

void AuditForwarder::Notify() {
  {
    std::lock_guard lock(mutex_);
    notified_ = true;
  }
  woken_.notify_one();
}

Result<std::int64_t> AuditForwarder::ForwardPending(const std::stop_token& stop) {
  auto forwarded = chain_.GetAuditForwarded(settings_.destination);
  if (!forwarded.ok()) return forwarded.error();
  std::int64_t last = *forwarded;
  std::int64_t sent = 0;
  while (!stop.stop_requested()) {
    auto records = chain_.ListSealedAudit(last, settings_.batch);
    if (!records.ok()) return records.error();
    if (records->empty()) break;
    for (const AuditRecord& record : *records) {
      if (stop.stop_requested()) break;
      if (!record.chain_seq)
        return Internal("audit record " + std::to_string(record.id) + " is not sealed");
      auto studies = chain_.ListAuditStudies(record.id);
      if (!studies.ok()) return studies.error();
      const std::string message = FormatSyslogMessage(
          SeverityOf(record.outcome), std::chrono::system_clock::now(), settings_.hostname,
          settings_.source.process_id, ExportAuditMessage(record, *studies, settings_.source));
      if (Status s = sender_->Send(message); !s.ok()) return s.error();
      if (Status s = chain_.SetAuditForwarded(settings_.destination, *record.chain_seq); !s.ok()) {
        return s.error();
      }
      last = *record.chain_seq;
      ++sent;
    }
  }
  return sent;
}

void AuditForwarder::Run(const std::stop_token& stop) {
  std::chrono::milliseconds backoff = settings_.min_backoff;
  bool failing = false;
  while (!stop.stop_requested()) {
    auto sent = ForwardPending(stop);
    if (!sent.ok()) {
      if (!failing) {
        spdlog::warn("event=audit_forward_failed destination={} error=\"{}\" retry_ms={}",
                     settings_.destination, sent.error().message(), backoff.count());
      }
      failing = true;
      Wait(backoff, false, stop);
      backoff = std::min(backoff * 2, settings_.max_backoff);
      continue;
    }
    if (failing) {
      spdlog::info("event=audit_forward_resumed destination={} sent={}", settings_.destination,
                   *sent);
    }
    failing = false;
    backoff = settings_.min_backoff;
    Wait(settings_.poll_interval, true, stop);
  }
}

void AuditForwarder::Wait(std::chrono::milliseconds duration, bool wake_on_notify,
                          const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  woken_.wait_for(lock, stop, duration, [&] { return wake_on_notify && notified_; });
  notified_ = false;
}

}  // namespace pacsport::audit
