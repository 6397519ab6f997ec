#include "http/download_links.h"

#include <algorithm>

#include "auth/random_token.h"

namespace pacsport::http {
namespace {

constexpr size_t kTokenBytes = 32;

}  // namespace

std::string DownloadLinks::Issue(const Grant& grant, Clock::time_point now) {
  return Issue(grant, now, lifetime_);
}

std::string DownloadLinks::Issue(const Grant& grant, Clock::time_point now,
                                 std::chrono::seconds lifetime) {
  std::string token = auth::RandomBase64Url(kTokenBytes);
  std::lock_guard lock(mutex_);
  // Unused links are dropped once expired, so the map holds at most a lifetime's worth.
  std::erase_if(links_, [now](const auto& entry) { return entry.second.expires <= now; });
  links_.emplace(token, Link{grant, now + lifetime});
  return token;
}

std::optional<DownloadLinks::Grant> DownloadLinks::Redeem(const std::string& token,
                                                          Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto found = links_.find(token);
  if (found == links_.end()) return std::nullopt;
  Link link = std::move(found->second);
  links_.erase(found);
  if (link.expires <= now) return std::nullopt;
  return std::move(link.grant);
}

std::optional<DownloadLinks::Grant> DownloadLinks::Peek(const std::string& token,
                                                        Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto found = links_.find(token);
  if (found == links_.end() || found->second.expires <= now) return std::nullopt;
  return found->second.grant;
}

void DownloadLinks::Revoke(const std::string& token) {
  std::lock_guard lock(mutex_);
  links_.erase(token);
}

}  // namespace pacsport::http
