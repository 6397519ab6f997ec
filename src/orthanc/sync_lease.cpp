#include "orthanc/sync_lease.h"

#include <spdlog/spdlog.h>

#include "core/clock.h"

namespace pacsport {
namespace {

std::string LeaseName(const std::string& source) { return "orthanc-sync:" + source; }

}  // namespace

SyncLease::SyncLease(Index& index, const std::string& source, std::string replica,
                     std::chrono::seconds length)
    : index_(index), name_(LeaseName(source)), replica_(std::move(replica)), length_(length) {}

bool SyncLease::Hold() {
  const auto now = std::chrono::system_clock::now();
  auto held = index_.AcquireLease(name_, {replica_, Iso8601(now), Iso8601(now + length_)});
  if (!held.ok()) {
    spdlog::warn("event=sync_lease_unknown lease={} error={}", name_, held.error().name());
    return false;
  }
  return *held;
}

void SyncLease::Release() {
  if (Status s = index_.ReleaseLease(name_, replica_); !s.ok()) {
    spdlog::warn("event=sync_lease_not_released lease={} error={}", name_, s.error().name());
  }
}

std::optional<std::string> SyncLease::Holder(Index& index, const std::string& source) {
  auto holder = index.GetLease(LeaseName(source));
  if (!holder.ok() || !*holder) return std::nullopt;
  if ((*holder)->expires_at < Iso8601(std::chrono::system_clock::now())) return std::nullopt;
  return (*holder)->owner;
}

}  // namespace pacsport
