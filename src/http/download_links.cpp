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
  // A link is forgotten one lifetime after it expired (or was used), so the map holds
  // at most two lifetimes' worth of links.
  std::erase_if(links_,
                [this, now](const auto& entry) { return entry.second.expires + lifetime_ <= now; });
  links_.emplace(token, Link{grant, now + lifetime, false});
  return token;
}

std::optional<DownloadLinks::Grant> DownloadLinks::Redeem(const std::string& token,
                                                          Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto found = links_.find(token);
  if (found == links_.end() || found->second.spent || found->second.expires <= now) {
    return std::nullopt;
  }
  Spend(found->second, now);
  return found->second.grant;
}

std::optional<DownloadLinks::Grant> DownloadLinks::Peek(const std::string& token,
                                                        Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto found = links_.find(token);
  if (found == links_.end() || found->second.spent || found->second.expires <= now) {
    return std::nullopt;
  }
  return found->second.grant;
}

std::optional<DownloadLinks::Grant> DownloadLinks::Owner(const std::string& token) {
  std::lock_guard lock(mutex_);
  const auto found = links_.find(token);
  if (found == links_.end()) return std::nullopt;
  return found->second.grant;
}

void DownloadLinks::Report(const std::string& token, Use use) {
  std::lock_guard lock(mutex_);
  if (const auto found = links_.find(token); found != links_.end()) found->second.use = use;
}

std::optional<DownloadLinks::Use> DownloadLinks::UseOf(const std::string& token,
                                                       Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto found = links_.find(token);
  if (found == links_.end()) return std::nullopt;
  const Link& link = found->second;
  if (link.use.state == UseState::kPending && !link.spent && link.expires <= now) {
    return Use{UseState::kExpired};
  }
  return link.use;
}

void DownloadLinks::Revoke(const std::string& token, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (const auto found = links_.find(token); found != links_.end()) Spend(found->second, now);
}

void DownloadLinks::Spend(Link& link, Clock::time_point now) {
  link.spent = true;
  link.expires = std::min(link.expires, now);
}

}  // namespace pacsport::http
