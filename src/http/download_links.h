// DownloadLinks: single-use, short-lived download URLs, for browsers, which cannot
// send a Bearer header when they navigate to a download. Issue records who asked for
// which export (scope, target and options) and returns an unguessable token (32
// random bytes); Redeem hands that record back once, before it expires, and forgets
// it. The export is planned and audited only when the link is used, for the user who
// asked (the caller checks that the user still holds that role in that hospital).
//
// Tokens live in this process's memory only: a restart invalidates them all.
// Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/records.h"
#include "export/export_request.h"

namespace pacsport::http {

class DownloadLinks {
 public:
  using Clock = std::chrono::steady_clock;

  struct Grant {
    Principal principal;  // who asked, as their token said
    ExportRequest request;
  };

  explicit DownloadLinks(std::chrono::seconds lifetime) : lifetime_(lifetime) {}

  // The token of a new link, valid until `now` + the lifetime.
  std::string Issue(const Grant& grant, Clock::time_point now);
  // The link's grant, once; nullopt when the token is unknown, used or expired.
  std::optional<Grant> Redeem(const std::string& token, Clock::time_point now);
  std::chrono::seconds lifetime() const { return lifetime_; }

 private:
  struct Link {
    Grant grant;
    Clock::time_point expires;
  };

  const std::chrono::seconds lifetime_;
  std::mutex mutex_;
  std::unordered_map<std::string, Link> links_;  // guarded by mutex_
};

}  // namespace pacsport::http
