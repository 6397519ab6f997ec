// DownloadLinks: single-use, short-lived download URLs, for browsers, which cannot
// send a Bearer header when they navigate to a download. Issue records who asked for
// which export (scope, target and options) and returns an unguessable token (32
// random bytes); Redeem hands that record back once, before it expires. The export is
// planned and audited only when the link is used, for the user who asked (the caller
// checks that the user still holds that role in that hospital).
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
// Links live in the index (Index::AddDownloadLink and the rest), the token only as
// its SHA-256: any replica on the same index serves a link another made, a restart
// keeps them, and of two replicas redeeming one token exactly one wins
// (docs/decisions/0023-shared-links-and-login-limits.md). Times are wall-clock
// (comparable across processes), passed in by the caller. Issue sweeps a bounded
// number of forgotten links. Every call answers kUnavailable when the index is down.
// Thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/error.h"
#include "core/records.h"
#include "export/export_request.h"
#include "index/index.h"

namespace pacsport::http {

class DownloadLinks {
 public:
  using Clock = std::chrono::system_clock;

  // Forgotten links each Issue removes at most.
  static constexpr std::int64_t kSweepBatch = 64;

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

  // `index` must outlive the links.
  DownloadLinks(Index& index, std::chrono::seconds lifetime) : index_(index), lifetime_(lifetime) {}

  // The token of a new link, valid until `now` + `lifetime` (by default, the lifetime).
  Result<std::string> Issue(const Grant& grant, SystemTime now);
  Result<std::string> Issue(const Grant& grant, SystemTime now, std::chrono::seconds lifetime);
  // The link's grant, once; nullopt when the token is unknown, used or expired.
  Result<std::optional<Grant>> Redeem(const std::string& token, SystemTime now);
  // The link's grant, leaving the link as it is; nullopt as Redeem.
  Result<std::optional<Grant>> Peek(const std::string& token, SystemTime now);
  // The grant of a link that is or was valid, used and expired ones included, as long
  // as it is remembered; nullopt for an unknown token. For auditing refusals only.
  Result<std::optional<Grant>> Owner(const std::string& token, SystemTime now);
  // Records what became of the link's use (kStreaming, kCompleted or kFailed); ignored
  // for a token no longer remembered.
  Status Report(const std::string& token, const Use& use);
  // What became of the link's use as long as it is remembered (kExpired: never used
  // before it expired); nullopt for an unknown token.
  Result<std::optional<Use>> UseOf(const std::string& token, SystemTime now);
  // Ends the link: later uses are refused.
  Status Revoke(const std::string& token, SystemTime now);
  std::chrono::seconds lifetime() const { return lifetime_; }

 private:
  // When a link spent (or expiring) at `t` is forgotten.
  std::string ForgetAt(SystemTime t) const { return Iso8601(t + lifetime_); }

  Index& index_;
  const std::chrono::seconds lifetime_;
};

}  // namespace pacsport::http
