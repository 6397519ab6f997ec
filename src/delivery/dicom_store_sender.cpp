#include "delivery/dicom_store_sender.h"

#include <algorithm>
#include <set>

#include "delivery/retry.h"
#include "delivery/settings_reader.h"
#include "dicom/peer_association.h"

namespace pacsport::delivery {
namespace {

using dicom::InstanceKind;
using dicom::PeerAssociation;

constexpr std::size_t kMaxAeTitle = 16;

// An AE title as the standard allows: 1-16 characters of the default repertoire,
// no backslash or control character, not only spaces.
bool ValidAeTitle(const std::string& title) {
  if (title.empty() || title.size() > kMaxAeTitle) return false;
  const bool printable = std::all_of(title.begin(), title.end(),
                                     [](char c) { return c >= 0x20 && c < 0x7F && c != '\\'; });
  return printable && title.find_first_not_of(' ') != std::string::npos;
}

Result<dicom::PeerAddress> ReadPeer(const nlohmann::json& settings, const nlohmann::json& secrets) {
  dicom::PeerAddress peer;
  SettingsReader reader(settings, "settings");
  peer.called_ae_title = reader.RequiredString("aeTitle");
  peer.host = reader.RequiredString("host");
  const auto port = reader.TakeInt("port", 1, 65535);
  peer.calling_ae_title = reader.TakeString("callingAeTitle").value_or("PACSPORT");
  peer.tls = reader.TakeBool("tls").value_or(false);
  peer.timeout = std::chrono::seconds(reader.TakeInt("timeoutSeconds", 1, 3600).value_or(30));
  if (!port)
    reader.Fail("port", "is required");
  else
    peer.port = static_cast<int>(*port);
  if (!peer.called_ae_title.empty() && !ValidAeTitle(peer.called_ae_title)) {
    reader.Fail("aeTitle", "must be 1 to 16 printable characters without a backslash");
  }
  if (!ValidAeTitle(peer.calling_ae_title)) {
    reader.Fail("callingAeTitle", "must be 1 to 16 printable characters without a backslash");
  }
  if (Status s = reader.Finish(); !s.ok()) return s.error();
  SettingsReader secret_reader(secrets, "secrets");
  peer.ca_certificate_pem = secret_reader.TakeString("caCertificate").value_or("");
  if (!peer.ca_certificate_pem.empty() && !peer.tls) {
    secret_reader.Fail("caCertificate", "needs settings.tls true");
  }
  if (Status s = secret_reader.Finish(); !s.ok()) return s.error();
  return peer;
}

// Sends instances over associations that offer every kind of instance seen so far:
// a new kind (SOP class, stored transfer syntax) opens a new association offering it
// too. Before a study's first instance, the peer is asked (C-FIND) which of the
// study's instances it holds already; those are not sent again.
class DicomStoreSender final : public InstanceSender {
 public:
  DicomStoreSender(dicom::PeerAddress peer, RetryPolicy retry)
      : peer_(std::move(peer)), retry_(retry) {}

  Status Check(std::stop_token stop) override {
    return Retry(retry_, stop, [&]() -> Status {
      auto association = PeerAssociation::Open(peer_, {});
      if (!association.ok()) return association.error();
      return (*association)->Echo();
    });
  }

  nlohmann::ordered_json Where() const override {
    return {{"kind", "dicom"},
            {"aeTitle", peer_.called_ae_title},
            {"host", peer_.host},
            {"port", peer_.port},
            {"tls", peer_.tls}};
  }

  Result<PushReport> Send(InstanceFeed& feed, std::stop_token stop,
                          std::atomic<std::int64_t>& instances_done) override {
    PushReport report;
    std::set<std::string> present;  // of the current study, at the peer before it was sent
    while (true) {
      auto next = feed.Next(stop);
      if (!next.ok()) return next.error();
      if (!next->has_value()) break;
      if (stop.stop_requested()) return Unavailable("the push was stopped");
      const OutgoingInstance& instance = **next;
      const InstanceKind kind{instance.sop_class_uid, instance.transfer_syntax_uid};
      if (report.studies().empty() || report.studies().back().study_uid != instance.study_uid) {
        report.studies().push_back({instance.study_uid, 0, -1});
        auto held = Retry(retry_, stop, [&] { return HeldByPeer(kind, instance.study_uid); });
        if (!held.ok()) return held.error();
        present = std::move(*held);
      }
      PushedInstance pushed{instance.study_uid,           instance.sop_instance_uid,
                            PushOutcome::kSent,           "",
                            instance.transfer_syntax_uid, false};
      if (present.count(instance.sop_instance_uid) != 0) {
        pushed.outcome = PushOutcome::kAlreadyPresent;
      } else {
        auto answer = Retry(retry_, stop, [&] { return Store(kind, instance); });
        if (!answer.ok() && answer.error().code() != ErrorCode::kInvalidInput) {
          return answer.error();
        }
        if (!answer.ok()) {  // nothing the peer takes: it refused the instance
          pushed.outcome = PushOutcome::kRefused;
          pushed.peer_status = answer.error().message();
        } else {
          pushed.outcome = answer->Stored() ? PushOutcome::kSent : PushOutcome::kRefused;
          pushed.peer_status = dicom::StatusText(answer->status);
          pushed.transfer_syntax_uid = answer->transfer_syntax_uid;
          pushed.transcoded = answer->transcoded;
        }
      }
      if (pushed.outcome != PushOutcome::kRefused) ++report.studies().back().pushed;
      report.Add(pushed);
      ++instances_done;
    }
    Verify(report);
    association_.reset();
    return report;
  }

 private:
  // An association offering `kind`: the current one, or a new one.
  Status Offering(const InstanceKind& kind) {
    if (association_ && association_->Offered(kind)) return Status::Ok();
    association_.reset();
    if (std::find(kinds_.begin(), kinds_.end(), kind) == kinds_.end()) {
      if (kinds_.size() == dicom::kMaxInstanceKinds) kinds_.clear();
      kinds_.push_back(kind);
    }
    auto opened = PeerAssociation::Open(peer_, kinds_);
    if (!opened.ok()) return opened.error();
    association_ = std::move(*opened);
    return Status::Ok();
  }

  // The study's instances the peer holds; none known when it does not answer C-FIND.
  Result<std::set<std::string>> HeldByPeer(const InstanceKind& kind, const std::string& study) {
    if (Status s = Offering(kind); !s.ok()) return s.error();
    if (!association_->Answers()) return std::set<std::string>();
    auto held = association_->FindInstances(study);
    if (!held.ok() && held.error().code() == ErrorCode::kUnavailable) association_.reset();
    return held;
  }

  Result<dicom::StoreAnswer> Store(const InstanceKind& kind, const OutgoingInstance& instance) {
    if (Status s = Offering(kind); !s.ok()) return s.error();
    if (!association_->AcceptsSopClass(kind.first)) {
      return InvalidInput("the peer does not accept SOP class " + kind.first);
    }
    auto answer = association_->Store(kind, instance.sop_instance_uid, instance.bytes);
    if (!answer.ok() && answer.error().code() == ErrorCode::kUnavailable) association_.reset();
    return answer;
  }

  // Asks the peer how many instances of each study it holds now; a peer that does not
  // answer leaves the counts unknown (-1), it does not fail the push.
  void Verify(PushReport& report) {
    for (StudyVerification& study : report.studies()) {
      if (!association_ || !association_->Answers()) return;
      auto held = association_->FindInstances(study.study_uid);
      if (!held.ok()) return;
      study.held_by_peer = static_cast<std::int64_t>(held->size());
    }
  }

  const dicom::PeerAddress peer_;
  const RetryPolicy retry_;
  std::vector<InstanceKind> kinds_;  // offered by the next association
  std::unique_ptr<PeerAssociation> association_;
};

}  // namespace

Result<std::unique_ptr<InstanceSender>> MakeDicomStoreSender(const nlohmann::json& settings,
                                                             const nlohmann::json& secrets,
                                                             const SenderContext& context) {
  auto peer = ReadPeer(settings, secrets);
  if (!peer.ok()) return peer.error();
  return std::unique_ptr<InstanceSender>(
      std::make_unique<DicomStoreSender>(std::move(*peer), context.retry));
}

}  // namespace pacsport::delivery
