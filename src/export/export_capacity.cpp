#include "export/export_capacity.h"

#include <string>
#include <utility>

namespace pacsport {
namespace {

std::string HospitalKey(const Principal& principal) {
  return std::to_string(principal.hospital_id);
}

Error UserOverShare(int share) {
  return {ErrorCode::kTooManyRequests,
          "you already have " + std::to_string(share) +
              " exports running (your share); wait for one to finish and try again"};
}

Error HospitalOverShare(int share) {
  return {ErrorCode::kTooManyRequests, "your hospital already has " + std::to_string(share) +
                                           " exports running (its share); try again shortly"};
}

Error ServerFull(int capacity) {
  return Unavailable(std::to_string(capacity) + " exports are already running; try again shortly");
}

}  // namespace

Result<ExportCapacity::Grant> ExportCapacity::TryAcquire(const Principal& principal) {
  // Narrowest first, so that the refusal names the share the caller is over. Slots
  // taken before a refusal are given back when they go out of scope.
  auto user = per_user_.TryAcquire(principal.username);
  if (!user) return UserOverShare(per_user_.capacity());
  auto hospital = per_hospital_.TryAcquire(HospitalKey(principal));
  if (!hospital) return HospitalOverShare(per_hospital_.capacity());
  auto total = total_.TryAcquire();
  if (!total) return ServerFull(total_.capacity());
  return Grant{std::move(*user), std::move(*hospital), std::move(*total)};
}

Status ExportCapacity::Check(const Principal& principal) const {
  if (per_user_.held(principal.username) >= per_user_.capacity()) {
    return UserOverShare(per_user_.capacity());
  }
  if (per_hospital_.held(HospitalKey(principal)) >= per_hospital_.capacity()) {
    return HospitalOverShare(per_hospital_.capacity());
  }
  if (total_.held() >= total_.capacity()) return ServerFull(total_.capacity());
  return Status::Ok();
}

}  // namespace pacsport
