#include "http/download_links.h"

#include <array>

#include "auth/random_token.h"
#include "core/digest.h"
#include "export/export_job_request.h"

namespace pacsport::http {
namespace {

constexpr size_t kTokenBytes = 32;

using UseState = DownloadLinks::UseState;

// The use states as the index keeps them; kExpired is never stored (UseOf derives it).
constexpr std::array<std::pair<UseState, std::string_view>, 4> kStoredUseStates = {{
    {UseState::kPending, "pending"},
    {UseState::kStreaming, "streaming"},
    {UseState::kCompleted, "completed"},
    {UseState::kFailed, "failed"},
}};

std::string StoredName(UseState state) {
  for (const auto& [stored, name] : kStoredUseStates) {
    if (stored == state) return std::string(name);
  }
  return "failed";  // kExpired is no state a use reports
}

Result<UseState> StoredState(std::string_view name) {
  for (const auto& [state, stored] : kStoredUseStates) {
    if (stored == name) return state;
  }
  return Internal("a download link has an unknown use state in the index");
}

ErrorCode ErrorCodeNamed(std::string_view name) {
  for (int code = 0; code <= static_cast<int>(ErrorCode::kInternal); ++code) {
    if (Describe(static_cast<ErrorCode>(code)).name == name) return static_cast<ErrorCode>(code);
  }
  return ErrorCode::kInternal;
}

// The index knows a link by its token's SHA-256 only.
std::string Key(const std::string& token) { return Sha256Hex(token); }

Result<DownloadLinks::Grant> GrantOf(const DownloadLinkRecord& link) {
  DownloadLinks::Grant grant{link.principal, {}, link.job_id};
  if (link.request.empty()) return grant;  // a job archive's link
  auto request = ParseJobRequest(link.request, ExportOptions{}.compression_level);
  if (!request.ok()) return Internal("a download link's request in the index does not parse");
  grant.request = std::move(*request);
  return grant;
}

Result<std::optional<DownloadLinks::Grant>> GrantOf(
    const Result<std::optional<DownloadLinkRecord>>& link) {
  if (!link.ok()) return link.error();
  if (!*link) return std::optional<DownloadLinks::Grant>();
  auto grant = GrantOf(**link);
  if (!grant.ok()) return grant.error();
  return std::optional<DownloadLinks::Grant>(std::move(*grant));
}

}  // namespace

Result<std::string> DownloadLinks::Issue(const Grant& grant, SystemTime now) {
  return Issue(grant, now, lifetime_);
}

Result<std::string> DownloadLinks::Issue(const Grant& grant, SystemTime now,
                                         std::chrono::seconds lifetime) {
  std::string token = auth::RandomBase64Url(kTokenBytes);
  DownloadLinkRecord link;
  link.token_sha256 = Key(token);
  link.principal = grant.principal;
  link.request = grant.job_id.empty() ? JobRequestJson(grant.request) : "";
  link.job_id = grant.job_id;
  link.created_at = Iso8601(now);
  link.expires_at = Iso8601(now + lifetime);
  // Forgotten one lifetime after it expired (or was spent, Revoke and Redeem).
  link.forget_at = ForgetAt(now + lifetime);
  if (Status added = index_.AddDownloadLink(link); !added.ok()) return added.error();
  // Best effort: what this call leaves, a later one sweeps.
  (void)index_.SweepDownloadLinks(Iso8601(now), kSweepBatch);
  return token;
}

Result<std::optional<DownloadLinks::Grant>> DownloadLinks::Redeem(const std::string& token,
                                                                  SystemTime now) {
  return GrantOf(index_.RedeemDownloadLink(Key(token), Iso8601(now), ForgetAt(now)));
}

Result<std::optional<DownloadLinks::Grant>> DownloadLinks::Peek(const std::string& token,
                                                                SystemTime now) {
  const std::string at = Iso8601(now);
  auto link = index_.FindDownloadLink(Key(token), at);
  if (link.ok() && *link && ((*link)->spent || (*link)->expires_at <= at)) {
    return std::optional<Grant>();
  }
  return GrantOf(link);
}

Result<std::optional<DownloadLinks::Grant>> DownloadLinks::Owner(const std::string& token,
                                                                 SystemTime now) {
  return GrantOf(index_.FindDownloadLink(Key(token), Iso8601(now)));
}

Status DownloadLinks::Report(const std::string& token, const Use& use) {
  return index_.SetDownloadLinkUse(Key(token), StoredName(use.state),
                                   use.error ? std::string(use.error->name()) : "",
                                   use.error ? use.error->message() : "");
}

Result<std::optional<DownloadLinks::Use>> DownloadLinks::UseOf(const std::string& token,
                                                               SystemTime now) {
  const std::string at = Iso8601(now);
  auto found = index_.FindDownloadLink(Key(token), at);
  if (!found.ok()) return found.error();
  if (!*found) return std::optional<Use>();
  const DownloadLinkRecord& link = **found;
  auto state = StoredState(link.use_state);
  if (!state.ok()) return state.error();
  Use use{*state};
  if (use.state == UseState::kPending && !link.spent && link.expires_at <= at) {
    use.state = UseState::kExpired;
  }
  if (!link.error_code.empty())
    use.error = Error(ErrorCodeNamed(link.error_code), link.error_message);
  return std::optional<Use>(std::move(use));
}

Status DownloadLinks::Revoke(const std::string& token, SystemTime now) {
  return index_.RevokeDownloadLink(Key(token), ForgetAt(now));
}

}  // namespace pacsport::http
