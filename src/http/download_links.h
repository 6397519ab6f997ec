// DownloadLinks: single-use, short-lived download URLs, for browsers, which cannot
// send a Bearer header when they navigate to a download. Issue records who asked for
// which export (scope, target and options) and returns an unguessable token (32
// random bytes); Redeem hands that record back once, before it expires, and forgets
// it. The export is planned and audited only when the link is used, for the user who
// asked (the caller checks that the user still holds that role in that hospital).
//
// A link to a finished export job's archive (Grant::job_id) is different: a browser
// resumes an interrupted download by asking the same URL again with a Range, so
// such a link serves any number of ranges (Peek) until one download reaches the end
// of the archive (Revoke) or it expires.
//
// A used, revoked or expired link is remembered for one more lifetime (Owner), so
// that a refused use of it is audited under the user and hospital it was made for.
// What became of a link's use (UseOf: pending, streaming, completed, failed with the
// reason, or expired unused) is remembered as long as the link, so that the dialog
// that asked for it can tell its user whether the download the browser started ended
// well; the HTTP layer Reports it.
//
// Tokens live in this process's memory only: a restart invalidates them all.
// Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/error.h"
#include "core/records.h"
#include "export/export_request.h"

namespace pacsport::http {

class DownloadLinks {
 public:
  using Clock = std::chrono::steady_clock;

  struct Grant {
    Principal principal;  // who asked, as their token said
    ExportRequest request;
    std::string job_id = {};  // set for a link to this job's archive
  };

  enum class UseState { kPending, kStreaming, kCompleted, kFailed, kExpired };
  struct Use {
    UseState state = UseState::kPending;
    std::optional<Error> error = {};  // why it failed (kFailed only)
  };

  explicit DownloadLinks(std::chrono::seconds lifetime) : lifetime_(lifetime) {}

  // The token of a new link, valid until `now` + `lifetime` (by default, the lifetime).
  std::string Issue(const Grant& grant, Clock::time_point now);
  std::string Issue(const Grant& grant, Clock::time_point now, std::chrono::seconds lifetime);
  // The link's grant, once; nullopt when the token is unknown, used or expired.
  std::optional<Grant> Redeem(const std::string& token, Clock::time_point now);
  // The link's grant, leaving the link as it is; nullopt as Redeem.
  std::optional<Grant> Peek(const std::string& token, Clock::time_point now);
  // The grant of a link that is or was valid, used and expired ones included, as long
  // as it is remembered; nullopt for an unknown token. For auditing refusals only.
  std::optional<Grant> Owner(const std::string& token);
  // Records what became of the link's use (kStreaming, kCompleted or kFailed); ignored
  // for a token no longer remembered.
  void Report(const std::string& token, Use use);
  // What became of the link's use as long as it is remembered (kExpired: never used
  // before it expired); nullopt for an unknown token.
  std::optional<Use> UseOf(const std::string& token, Clock::time_point now);
  // Ends the link: later uses are refused.
  void Revoke(const std::string& token, Clock::time_point now);
  std::chrono::seconds lifetime() const { return lifetime_; }

 private:
  struct Link {
    Grant grant;
    Clock::time_point expires;  // the time it was spent, once it is
    bool spent;                 // used or revoked
    Use use = {};
  };
  static void Spend(Link& link, Clock::time_point now);

  const std::chrono::seconds lifetime_;
  std::mutex mutex_;
  std::unordered_map<std::string, Link> links_;  // guarded by mutex_
};

}  // namespace pacsport::http
