// /api/deliveries/:token: the archive that an e-mailed link points at
// (delivery/durable_links.h), served once.
//
// A browser's GET (Accept: text/html) gets a page with a Download button that POSTs
// back, and spends nothing: mail scanners that open every link of a message first
// (Outlook's Safe Links, gateways) would otherwise use the link up before the
// recipient clicks it. A POST, or a GET that does not ask for HTML (curl, scripts),
// uses the link. HEAD spends nothing (405).
//
// No JWT: the token is the credential. The link is claimed before a byte is sent
// (Index::ClaimDeliveryLink: of two simultaneous uses one wins), then the job's
// archive is served whole, as its owner would download it (any Range is ignored: the
// link has no second use to resume with). A used, expired or unknown link is 404,
// the same for all three: JSON, or a short HTML page for a browser. Every use and
// every refused use is audited under the job's owner and hospital (an unknown token,
// which names no job, anonymously), with what the refusal was in its detail.
#include "core/clock.h"
#include "delivery/durable_links.h"
#include "http/byte_range.h"
#include "http/client_address.h"
#include "http/request_id.h"
#include "http/request_parsing.h"
#include "http/responses.h"
#include "http/routes.h"

namespace pacsport::http {
namespace {

constexpr std::string_view kGone =
    "this link was already used or has expired; ask for a new export";

constexpr std::string_view kGonePage =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>Link no longer valid</title></head>\n<body><h1>Link no longer valid</h1>\n"
    "<p>This link was already used or has expired; ask for a new export.</p></body></html>\n";

constexpr std::string_view kConfirmPage =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"robots\" content=\"noindex\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<title>Download your export</title></head>\n<body><h1>Your export is ready</h1>\n"
    "<p>This link can be used once: the download starts when you press the button.</p>\n"
    "<form method=\"post\"><button type=\"submit\">Download the archive</button></form>"
    "</body></html>\n";

void SendGone(const httplib::Request& req, httplib::Response& res) {
  if (WantsHtml(req)) {
    res.status = 404;
    res.set_header("Cache-Control", "no-store");
    res.set_content(std::string(kGonePage), "text/html; charset=utf-8");
    return;
  }
  SendError(res, NotFound(std::string(kGone)));
}

// The job's owner as the index knows them now: kUnauthenticated when their account
// is gone or moved to another hospital.
Result<Principal> Owner(Index& index, const DeliveryLink& link) {
  auto job = index.GetJob(link.hospital_id, link.job_id);
  if (!job.ok()) return job.error();
  auto user = index.FindUser(job->username);
  if (!user.ok() || user->hospital_id != job->hospital_id) {
    return Unauthenticated("the export's owner no longer has an account in its hospital");
  }
  return Principal{job->username, job->hospital_id, job->hospital_name, user->role};
}

// Audits a refused use (under `who`, or anonymously) and answers 404.
void Refuse(const HttpServices& services, ExportAttempt attempt, const Result<Principal>& who,
            const Error& why, const httplib::Request& req, httplib::Response& res) {
  // Begin audits the refusal and hands the error back; the answer is ours.
  (void)services.exports.Begin(attempt, who, why);
  SendGone(req, res);
}

void HandleDelivery(const HttpServices& services, const std::string& token,
                    const httplib::Request& req, httplib::Response& res) {
  IgnoreRange(req);
  const std::string now = Iso8601(std::chrono::system_clock::now());
  ExportAttempt attempt{CurrentClientAddress(), Router::CurrentLabel(), "", R"({"link":"email"})",
                        CurrentRequestId()};
  auto claim = services.index.ClaimDeliveryLink(delivery::DeliveryLinkHash(token), now);
  if (!claim.ok()) {
    if (claim.error().code() != ErrorCode::kNotFound) throw ErrorException(claim.error());
    const Error unknown = NotFound("no such e-mailed link");
    return Refuse(services, attempt, unknown, unknown, req, res);
  }
  const DeliveryLink& link = claim->link;
  attempt.target = link.job_id;
  const Result<Principal> owner = Owner(services.index, link);
  if (!claim->claimed) {
    const Error spent =
        NotFound(link.used_at.empty() ? "the e-mailed link expired at " + link.expires_at
                                      : "the e-mailed link was already used at " + link.used_at);
    return Refuse(services, attempt, owner.ok() ? owner : Result<Principal>(spent), spent, req,
                  res);
  }
  if (!owner.ok()) return Refuse(services, attempt, owner, owner.error(), req, res);
  auto download = services.jobs.OpenArchive(*owner, link.job_id, attempt);
  if (!download.ok()) {
    if (download.error().code() != ErrorCode::kNotFound) throw ErrorException(download.error());
    return Refuse(services, attempt, owner, download.error(), req, res);
  }
  ServeJobArchive(std::move(*download), req, res, nullptr);
}

}  // namespace

void RegisterDeliveryRoutes(Router& router, const HttpServices& services) {
  const std::string pattern = R"(/api/deliveries/([A-Za-z0-9_-]{1,128}))";
  const std::string label = "/api/deliveries/:token";
  router.Get(
      pattern, label,
      [&services](const httplib::Request& req, httplib::Response& res) {
        // HEAD is served by GET routes; it must not spend the link.
        if (req.method != "GET") {
          res.set_header("Allow", "GET, POST");
          return SendError(res,
                           Error(ErrorCode::kMethodNotAllowed, "this route answers GET and POST"));
        }
        if (WantsHtml(req)) {
          res.set_header("Cache-Control", "no-store");
          res.set_header("Referrer-Policy", "no-referrer");
          return res.set_content(std::string(kConfirmPage), "text/html; charset=utf-8");
        }
        HandleDelivery(services, req.matches[1], req, res);
      },
      Access::kAnonymous);
  router.Post(
      pattern, label,
      [&services](const httplib::Request& req, httplib::Response& res) {
        HandleDelivery(services, req.matches[1], req, res);
      },
      Body::kNone, Access::kAnonymous);
}

}  // namespace pacsport::http
