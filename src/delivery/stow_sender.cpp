#include "delivery/stow_sender.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <cstdio>
#include <regex>
#include <set>

#include "auth/signing_key.h"
#include "delivery/dicomweb_answers.h"
#include "delivery/http_call.h"
#include "delivery/multipart_related.h"
#include "delivery/percent_encoding.h"
#include "delivery/retry.h"
#include "delivery/settings_reader.h"

namespace pacsport::delivery {
namespace {

constexpr std::int64_t kMiB = std::int64_t{1} << 20;
constexpr std::size_t kQidoPage = 500;  // instances asked for per QIDO-RS request
// Answers kept whole: a STOW-RS answer lists every instance of a batch (Orthanc: about
// 700 bytes each, so 0.7 MB for 1000), a QIDO-RS page has a data set of about 40
// attributes per instance (Orthanc: about 2 KB each, so 1 MB for 500). A truncated
// answer would not parse: its batch would be sent again one by one, its query fail.
constexpr std::size_t kMaxAnswer = std::size_t{32} << 20;

struct StowSettings {
  std::string url;  // the DICOMweb base URL, without a final '/'
  std::size_t batch_instances = 50;
  std::uint64_t batch_bytes = 64 * kMiB;
  std::string authorization;  // the "Authorization: …" header, or "": a secret, never logged
};

// One instance of a batch, and its line in its study's lines.
struct Pending {
  OutgoingInstance instance;
  std::size_t line = 0;
};

// The study being pushed. Its instances are settled and verified before the next
// study's begin, so a push holds one study's lines, never the whole export's.
struct StudyPush {
  std::string uid;
  std::set<std::string> held_before;  // at the peer before the push
  std::vector<PushedInstance> lines;  // in feed order
  std::vector<Pending> batch;         // not yet sent
  std::uint64_t batch_bytes = 0;
};

class StowSender final : public InstanceSender {
 public:
  StowSender(StowSettings settings, RetryPolicy retry)
      : settings_(std::move(settings)), retry_(retry) {}

  Status Check(std::stop_token stop) override {
    auto answer = Retry(retry_, stop, [&] { return Query("/studies?limit=1", stop); });
    if (!answer.ok()) return answer.error();
    if (answer->status == 404) {
      return InvalidInput(
          "QIDO-RS GET " + settings_.url +
          "/studies: the peer answered 404; is settings.url the DICOMweb base URL?");
    }
    return Status::Ok();
  }

  Result<PushReport> Send(InstanceFeed& feed, std::stop_token stop,
                          std::atomic<std::int64_t>& instances_done) override {
    PushReport report;
    StudyPush study;
    for (;;) {
      if (stop.stop_requested())
        return Unavailable("the DICOMweb push to " + settings_.url + " was stopped");
      auto next = feed.Next(stop);
      if (!next.ok()) return next.error();
      if (!next->has_value()) break;
      OutgoingInstance& instance = **next;
      if (instance.study_uid != study.uid) {
        if (Status finished = Finish(study, report, stop, instances_done); !finished.ok()) {
          return finished.error();
        }
        auto held = HeldInstances(instance.study_uid, stop);
        if (!held.ok()) return held.error();
        study = StudyPush{instance.study_uid, std::set(held->begin(), held->end()), {}, {}, 0};
      }
      PushedInstance& line = study.lines.emplace_back();
      line.study_uid = instance.study_uid;
      line.sop_instance_uid = instance.sop_instance_uid;
      line.transfer_syntax_uid = instance.transfer_syntax_uid;  // sent as stored
      if (study.held_before.contains(instance.sop_instance_uid)) {
        line.outcome = PushOutcome::kAlreadyPresent;
        ++instances_done;
        continue;
      }
      if (!study.batch.empty() &&
          (study.batch.size() >= settings_.batch_instances ||
           study.batch_bytes + instance.bytes.size() > settings_.batch_bytes)) {
        if (Status stored = StoreBatch(study, stop, instances_done); !stored.ok()) {
          return stored.error();
        }
      }
      study.batch_bytes += instance.bytes.size();
      study.batch.push_back(Pending{std::move(instance), study.lines.size() - 1});
    }
    if (Status finished = Finish(study, report, stop, instances_done); !finished.ok()) {
      return finished.error();
    }
    return report;
  }

  nlohmann::ordered_json Where() const override {
    return {{"kind", "dicomweb"}, {"url", settings_.url}};
  }

 private:
  // Sends the study's pending batch, then starts a new one.
  Status StoreBatch(StudyPush& study, std::stop_token stop,
                    std::atomic<std::int64_t>& instances_done) {
    Status stored = Store(study.batch, study.lines, stop, instances_done);
    study.batch.clear();
    study.batch_bytes = 0;
    return stored;
  }

  // Sends what is left of `study`, verifies it and adds its instances to `report`
  // (nothing when no study was begun).
  Status Finish(StudyPush& study, PushReport& report, std::stop_token stop,
                std::atomic<std::int64_t>& instances_done) {
    if (study.uid.empty()) return Status::Ok();
    if (!study.batch.empty()) {
      if (Status stored = StoreBatch(study, stop, instances_done); !stored.ok()) return stored;
    }
    if (Status verified = Verify(study, report, stop); !verified.ok()) return verified;
    for (const PushedInstance& line : study.lines) report.Add(line);
    return Status::Ok();
  }

  // Sends `batch` in one STOW-RS request (retried whole while the peer is unavailable)
  // and settles each instance as the answer lists it. A peer that stops reading a
  // request at an instance it cannot store (Orthanc's DICOMweb plugin 1.7 does) lists
  // neither that one nor those after it: each instance left unlisted is sent again
  // alone, and is refused when even then the answer does not list it.
  Status Store(std::vector<Pending>& batch, std::vector<PushedInstance>& lines,
               std::stop_token stop, std::atomic<std::int64_t>& instances_done) {
    std::vector<std::string_view> parts;
    for (const Pending& pending : batch) parts.push_back(pending.instance.bytes);
    const MultipartRelated body("application/dicom", parts);
    auto answer = Retry(retry_, stop, [&] { return Post(body, stop); });
    if (!answer.ok()) return answer.error();
    const std::optional<StowAnswer> listed = ParseStowAnswer(answer->body);
    std::vector<Pending> unlisted;
    for (Pending& pending : batch) {
      PushedInstance& line = lines[pending.line];
      const std::string& uid = line.sop_instance_uid;
      if (listed && listed->failed.contains(uid)) {
        line.outcome = PushOutcome::kRefused;
        line.peer_status = listed->failed.at(uid);
      } else if (listed && listed->stored.contains(uid)) {
        line.outcome = PushOutcome::kSent;
        line.peer_status = listed->stored.at(uid);
      } else if (batch.size() > 1) {
        unlisted.push_back(std::move(pending));
        continue;
      } else {
        line.outcome = PushOutcome::kRefused;
        line.peer_status =
            "HTTP " + std::to_string(answer->status) + ", the instance not listed in the answer";
      }
      ++instances_done;
    }
    if (!unlisted.empty()) {
      spdlog::warn("event=stow_unlisted_instances url={} instances={} of={} status={}",
                   settings_.url, unlisted.size(), batch.size(), answer->status);
    }
    for (Pending& pending : unlisted) {
      std::vector<Pending> alone;
      alone.push_back(std::move(pending));
      if (Status stored = Store(alone, lines, stop, instances_done); !stored.ok()) return stored;
    }
    return Status::Ok();
  }

  // Asks the peer what it now holds of `study`: its count goes into the report, and
  // an instance the peer acknowledged but does not hold (a peer that drops what it
  // filters out, as Orthanc does with a Lua ReceivedInstanceFilter answering false)
  // is refused. A peer that cannot be asked leaves the count at -1.
  Status Verify(StudyPush& study, PushReport& report, std::stop_token stop) {
    StudyVerification verification{study.uid, 0, -1};
    auto uids = HeldInstances(study.uid, stop);
    if (!uids.ok() && stop.stop_requested()) return uids.error();
    if (!uids.ok()) {
      spdlog::warn("event=stow_verification_failed url={} study={} error={}", settings_.url,
                   study.uid, uids.error().message());
    }
    const std::set<std::string> held =
        uids.ok() ? std::set(uids->begin(), uids->end()) : std::set<std::string>{};
    if (uids.ok()) verification.held_by_peer = static_cast<std::int64_t>(held.size());
    std::set<std::string> pushed;  // two files of one SOP Instance UID are one instance
    for (PushedInstance& line : study.lines) {
      if (line.outcome == PushOutcome::kRefused) continue;
      if (uids.ok() && !held.contains(line.sop_instance_uid)) {
        line.outcome = PushOutcome::kRefused;
        line.peer_status = "acknowledged, but not held by the peer afterwards";
        continue;
      }
      pushed.insert(line.sop_instance_uid);
    }
    verification.pushed = static_cast<std::int64_t>(pushed.size());
    report.studies().push_back(verification);
    return Status::Ok();
  }

  // The SOP Instance UIDs the peer holds of `study` (QIDO-RS, a page at a time; a
  // peer that ignores limit and offset gives them all at once). A study the peer does
  // not have may be answered 404, 204 or an empty array.
  Result<std::vector<std::string>> HeldInstances(const std::string& study, std::stop_token stop) {
    std::vector<std::string> held;
    std::set<std::string> seen;
    for (std::size_t offset = 0;; offset += kQidoPage) {
      const std::string path =
          "/studies/" + PercentEncode(study, Slashes::kEncode) +
          "/instances?includefield=00080018&limit=" + std::to_string(kQidoPage) +
          "&offset=" + std::to_string(offset);
      auto answer = Retry(retry_, stop, [&] { return Query(path, stop); });
      if (!answer.ok()) return answer.error();
      if (answer->status == 404) return held;
      const auto uids = ParseQidoSopInstanceUids(answer->body);
      if (!uids) {
        return InvalidInput("QIDO-RS GET " + settings_.url + "/studies/" + study +
                            "/instances: the answer is not DICOM JSON");
      }
      std::size_t added = 0;
      for (const std::string& uid : *uids) {
        if (seen.insert(uid).second) {
          held.push_back(uid);
          ++added;
        }
      }
      if (uids->size() != kQidoPage || added == 0) return held;
    }
  }

  // One QIDO-RS GET of `path_and_query` under the base URL: 200, 204 and 404 are
  // answers, the rest errors (StatusOf).
  Result<HttpAnswer> Query(const std::string& path_and_query, std::stop_token stop) const {
    HttpCall call;
    call.url = settings_.url + path_and_query;
    call.max_answer_body = kMaxAnswer;
    call.headers = {"Accept: application/dicom+json"};
    if (!settings_.authorization.empty()) call.headers.push_back(settings_.authorization);
    auto answer = Perform(call, stop);
    if (!answer.ok()) return Error(answer.error().code(), "QIDO-RS " + answer.error().message());
    if (answer->status == 200 || answer->status == 204 || answer->status == 404) return answer;
    return StatusOf(*answer, "QIDO-RS GET " + WithoutQuery(call.url));
  }

  // One STOW-RS POST of `body`: 200 (all stored), 202 (some refused or warned), 400,
  // 409 and 413 (some or all refused) are answers to read, the rest errors (StatusOf).
  Result<HttpAnswer> Post(const MultipartRelated& body, std::stop_token stop) const {
    HttpCall call;
    call.method = "POST";
    call.url = settings_.url + "/studies";
    call.max_answer_body = kMaxAnswer;
    call.headers = {"Content-Type: " + body.ContentType(), "Accept: application/dicom+json"};
    if (!settings_.authorization.empty()) call.headers.push_back(settings_.authorization);
    call.pieces = body.Pieces();
    auto answer = Perform(call, stop);
    if (!answer.ok()) return Error(answer.error().code(), "STOW-RS " + answer.error().message());
    const long status = answer->status;
    if (status == 200 || status == 202 || status == 400 || status == 409 || status == 413) {
      return answer;
    }
    return StatusOf(*answer, "STOW-RS POST " + call.url);
  }

  // A status that is no answer: 401/403 kForbidden, 408/429/5xx kUnavailable (retried),
  // any other kInvalidInput (the URL is not a DICOMweb service).
  static Error StatusOf(const HttpAnswer& answer, const std::string& what) {
    const std::string detail = what + ": the peer answered " + std::to_string(answer.status);
    if (answer.status == 401 || answer.status == 403) {
      return Forbidden(detail + "; it refuses these credentials");
    }
    if (answer.status == 408 || answer.status == 429 || answer.status >= 500) {
      return Unavailable(detail);
    }
    return InvalidInput(detail + "; is settings.url the DICOMweb base URL?");
  }

  const StowSettings settings_;
  const RetryPolicy retry_;
};

}  // namespace

Result<std::unique_ptr<InstanceSender>> MakeStowSender(const nlohmann::json& settings,
                                                       const nlohmann::json& secrets,
                                                       const SenderContext& context) {
  SettingsReader read(settings, "settings");
  StowSettings stow;
  stow.url = read.RequiredString("url");
  while (stow.url.ends_with('/')) stow.url.pop_back();
  static const std::regex kUrl(R"(https?://[^/?#@\s]+(/[^?#\s]*)?)");
  if (!stow.url.empty() && !std::regex_match(stow.url, kUrl)) {
    read.Fail("url", "must be an http:// or https:// URL without credentials, query or fragment");
  }
  const std::string auth = read.TakeString("auth").value_or("none");
  if (auth != "none" && auth != "basic" && auth != "bearer") {
    read.Fail("auth", "must be \"none\", \"basic\" or \"bearer\"");
  }
  stow.batch_instances =
      static_cast<std::size_t>(read.TakeInt("batchInstances", 1, 1000).value_or(50));
  stow.batch_bytes =
      static_cast<std::uint64_t>(read.TakeInt("batchBytes", 1, 1024 * kMiB).value_or(64 * kMiB));
  if (Status status = read.Finish(); !status.ok()) return status.error();

  SettingsReader read_secrets(secrets, "secrets");
  if (auth == "basic") {
    const std::string username = read_secrets.RequiredString("username");
    const std::string password = read_secrets.RequiredString("password");
    if (username.find(':') != std::string::npos) {
      read_secrets.Fail("username", "must not contain ':' (HTTP basic authentication)");
    }
    stow.authorization = "Authorization: Basic " + auth::Base64Encode(username + ":" + password);
  } else if (auth == "bearer") {
    const std::string token = read_secrets.RequiredString("token");
    if (token.find_first_of(" \t\r\n") != std::string::npos) {
      read_secrets.Fail("token", "must not contain spaces or line breaks");
    }
    stow.authorization = "Authorization: Bearer " + token;
  }
  if (Status status = read_secrets.Finish(); !status.ok()) return status.error();
  return std::unique_ptr<InstanceSender>(
      std::make_unique<StowSender>(std::move(stow), context.retry));
}

}  // namespace pacsport::delivery
