#include "dicom/peer_association.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dimse.h>
#include <dcmtk/dcmtls/tlslayer.h>
#include <dcmtk/ofstd/ofstd.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "dicom/initialize.h"

namespace pacsport::dicom {
namespace {

constexpr const char* kLittleEndians[] = {UID_LittleEndianExplicitTransferSyntax,
                                          UID_LittleEndianImplicitTransferSyntax};
constexpr T_ASC_PresentationContextID kVerificationContext = 1;
constexpr T_ASC_PresentationContextID kFindContext = 3;
constexpr T_ASC_PresentationContextID kFirstKindContext = 5;
constexpr std::size_t kPart10PreambleBytes = 128;
constexpr const char* kSystemCertificates = "/etc/ssl/certs";

Error Unreachable(const std::string& what, const OFCondition& condition) {
  return Unavailable(what + ": " + condition.text());
}

// DCMTK's multi-line description joined into one line.
std::string OneLine(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// Bytes held in an anonymous in-memory file (memfd), named by a /proc path, for the
// DCMTK calls that read only files (a dataset is sent byte for byte only from a file).
// Nothing reaches a disk or outlives the process; closed when dropped.
class MemoryFile {
 public:
  static Result<MemoryFile> Write(const std::string& bytes) {
    MemoryFile file(::memfd_create("pacsport-push", MFD_CLOEXEC));
    if (file.fd_ < 0) return Unavailable("cannot create an in-memory file for the instance");
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(file.fd_, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Unavailable("cannot write an in-memory file for the instance");
      done += static_cast<std::size_t>(n);
    }
    return file;
  }
  MemoryFile(MemoryFile&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  MemoryFile& operator=(MemoryFile&&) = delete;
  ~MemoryFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  explicit MemoryFile(int fd) : fd_(fd) {}
  int fd_;
};

// The dataset of a Part 10 file (or a bare dataset) held in memory.
Result<std::unique_ptr<DcmFileFormat>> Parse(const std::string& bytes) {
  DcmInputBufferStream stream;
  stream.setBuffer(bytes.data(), static_cast<offile_off_t>(bytes.size()));
  stream.setEos();
  auto file = std::make_unique<DcmFileFormat>();
  file->transferInit();
  const OFCondition read = file->read(stream);
  file->transferEnd();
  if (read.bad()) return InvalidInput(std::string("the file does not parse: ") + read.text());
  return file;
}

class DcmtkAssociation final : public PeerAssociation {
 public:
  DcmtkAssociation(const PeerAddress& peer, std::vector<InstanceKind> kinds)
      : peer_(peer), kinds_(std::move(kinds)) {}

  ~DcmtkAssociation() override {
    if (association_ != nullptr) {
      if (usable_) {
        ASC_releaseAssociation(association_);
      } else if (!rejected_) {
        ASC_abortAssociation(association_);
      }
      ASC_destroyAssociation(&association_);
    }
    if (network_ != nullptr) ASC_dropNetwork(&network_);
  }

  Status Connect() {
    const int timeout = static_cast<int>(peer_.timeout.count());
    dcmConnectionTimeout.set(timeout);
    OFCondition c = ASC_initializeNetwork(NET_REQUESTOR, 0, timeout, &network_);
    if (c.bad()) return Unreachable("cannot set up the network", c);
    T_ASC_Parameters* params = nullptr;
    c = ASC_createAssociationParameters(&params, ASC_DEFAULTMAXPDU);
    if (c.bad()) return Internal(std::string("association parameters: ") + c.text());
    if (peer_.tls) {
      if (Status s = SetUpTls(params); !s.ok()) {
        ASC_destroyAssociationParameters(&params);
        return s;
      }
    }
    ASC_setAPTitles(params, peer_.calling_ae_title.c_str(), peer_.called_ae_title.c_str(), nullptr);
    const std::string address = peer_.host + ":" + std::to_string(peer_.port);
    ASC_setPresentationAddresses(params, OFStandard::getHostName().c_str(), address.c_str());
    const char* verification[] = {UID_LittleEndianImplicitTransferSyntax};
    ASC_addPresentationContext(params, kVerificationContext, UID_VerificationSOPClass, verification,
                               1);
    const char* little_endians[] = {kLittleEndians[0], kLittleEndians[1]};
    ASC_addPresentationContext(params, kFindContext, UID_FINDStudyRootQueryRetrieveInformationModel,
                               little_endians, 2);
    T_ASC_PresentationContextID id = kFirstKindContext;
    for (const InstanceKind& kind : kinds_) {
      const char* stored[] = {kind.second.c_str()};
      ASC_addPresentationContext(params, id, kind.first.c_str(), stored, 1);
      ASC_addPresentationContext(params, id + 2, kind.first.c_str(), little_endians, 2);
      id += 4;
    }
    c = ASC_requestAssociation(network_, params, &association_);
    if (c == DUL_ASSOCIATIONREJECTED) {  // a refusal of this server, not an outage
      rejected_ = true;
      T_ASC_RejectParameters rejection;
      ASC_getRejectParameters(association_->params, &rejection);
      OFString why;
      ASC_printRejectParameters(why, &rejection);
      return Forbidden("the peer " + peer_.called_ae_title + " at " + address +
                       " rejected the association (" + OneLine(why.c_str()) + ")");
    }
    if (c.bad()) {
      if (association_ == nullptr) ASC_destroyAssociationParameters(&params);
      return Unreachable("the peer " + peer_.called_ae_title + " at " + address +
                             " refused or did not answer the association",
                         c);
    }
    usable_ = true;
    return Status::Ok();
  }

  bool Offered(const InstanceKind& kind) const override {
    return std::find(kinds_.begin(), kinds_.end(), kind) != kinds_.end();
  }

  bool AcceptsSopClass(const std::string& sop_class_uid) const override {
    return ASC_findAcceptedPresentationContextID(association_, sop_class_uid.c_str()) != 0;
  }

  bool Answers() const override { return Accepted(kFindContext).has_value(); }

  Result<StoreAnswer> Store(const InstanceKind& kind, const std::string& sop_instance_uid,
                            const std::string& bytes) override {
    const auto position = std::find(kinds_.begin(), kinds_.end(), kind);
    if (position == kinds_.end()) return InvalidInput("this kind of instance was not offered");
    const auto first = static_cast<T_ASC_PresentationContextID>(kFirstKindContext +
                                                                4 * (position - kinds_.begin()));
    StoreAnswer answer;
    // The stored syntax on its own context, else the fallback's choice.
    std::optional<std::string> syntax = Accepted(first);
    T_ASC_PresentationContextID context = first;
    if (!syntax) {
      syntax = Accepted(first + 2);
      context = first + 2;
    }
    if (!syntax) return InvalidInput("the peer accepts no transfer syntax for this SOP class");
    answer.transfer_syntax_uid = *syntax;
    answer.transcoded = *syntax != kind.second;
    T_DIMSE_C_StoreRQ request{};
    request.MessageID = association_->nextMsgID++;
    OFStandard::strlcpy(request.AffectedSOPClassUID, kind.first.c_str(),
                        sizeof(request.AffectedSOPClassUID));
    request.DataSetType = DIMSE_DATASET_PRESENT;
    request.Priority = DIMSE_PRIORITY_MEDIUM;
    OFStandard::strlcpy(request.AffectedSOPInstanceUID, sop_instance_uid.c_str(),
                        sizeof(request.AffectedSOPInstanceUID));
    const bool part10 = bytes.size() > kPart10PreambleBytes + 4 &&
                        bytes.compare(kPart10PreambleBytes, 4, "DICM") == 0;
    std::optional<MemoryFile> file;
    std::unique_ptr<DcmFileFormat> parsed;
    DcmDataset* dataset = nullptr;
    if (!answer.transcoded && part10) {
      // Unchanged: the dataset's bytes as stored, read back from a file.
      auto written = MemoryFile::Write(bytes);
      if (!written.ok()) return written.error();
      file.emplace(std::move(*written));
    } else {
      auto read = Parse(bytes);
      if (!read.ok()) return read.error();
      parsed = std::move(*read);
      dataset = parsed->getDataset();
    }
    if (answer.transcoded) {
      const E_TransferSyntax target = DcmXfer(syntax->c_str()).getXfer();
      const OFCondition decoded = dataset->chooseRepresentation(target, nullptr);
      if (decoded.bad() || !dataset->canWriteXfer(target)) {
        return InvalidInput(
            "the peer takes only little endian for this SOP class, and the "
            "stored pixel data cannot be decoded losslessly here");
      }
    }
    T_DIMSE_C_StoreRSP response{};
    DcmDataset* detail = nullptr;
    const std::string file_path = file ? file->path() : "";
    const OFCondition c = DIMSE_storeUser(
        association_, context, &request, file ? file_path.c_str() : nullptr, dataset, nullptr,
        nullptr, DIMSE_NONBLOCKING, Timeout(), &response, &detail);
    delete detail;
    if (c.bad()) return Lost("C-STORE", c);
    answer.status = response.DimseStatus;
    return answer;
  }

  Status Echo() override {
    DIC_US status = 0;
    DcmDataset* detail = nullptr;
    const OFCondition c = DIMSE_echoUser(association_, association_->nextMsgID++, DIMSE_NONBLOCKING,
                                         Timeout(), &status, &detail);
    delete detail;
    if (c.bad()) return Lost("C-ECHO", c);
    if (status != 0) return Unavailable("the peer answered C-ECHO with " + StatusText(status));
    return Status::Ok();
  }

  Result<std::set<std::string>> FindInstances(const std::string& study_uid) override {
    if (!Answers()) return InvalidInput("the peer does not answer C-FIND");
    auto series = Find("SERIES", study_uid, "", DCM_SeriesInstanceUID);
    if (!series.ok()) return series.error();
    std::set<std::string> instances;
    for (const std::string& series_uid : *series) {
      auto found = Find("IMAGE", study_uid, series_uid, DCM_SOPInstanceUID);
      if (!found.ok()) return found.error();
      instances.insert(found->begin(), found->end());
    }
    return instances;
  }

 private:
  Status SetUpTls(T_ASC_Parameters* params) {
    tls_ = std::make_unique<DcmTLSTransportLayer>(NET_REQUESTOR, nullptr, OFTrue);
    // BCP 195, non-downgrading: TLS 1.2 or later with its recommended suites.
    if (tls_->setTLSProfile(TSP_Profile_BCP195_ND).bad() || tls_->activateCipherSuites().bad()) {
      return Internal("TLS: the BCP 195 profile cannot be set up");
    }
    if (!peer_.ca_certificate_pem.empty()) {
      auto ca = MemoryFile::Write(peer_.ca_certificate_pem);
      if (!ca.ok()) return ca.error();
      if (tls_->addTrustedCertificateFile(ca->path().c_str(), DCF_Filetype_PEM).bad()) {
        return InvalidInput("secrets.caCertificate is not a PEM certificate");
      }
    } else {
      tls_->addTrustedCertificateDir(kSystemCertificates, DCF_Filetype_PEM);
    }
    tls_->setCertificateVerification(DCV_requireCertificate);
    OFCondition c = ASC_setTransportLayer(network_, tls_.get(), 0);
    if (c.bad()) return Internal(std::string("TLS: ") + c.text());
    c = ASC_setTransportLayerType(params, OFTrue);
    if (c.bad()) return Internal(std::string("TLS: ") + c.text());
    return Status::Ok();
  }

  int Timeout() const { return static_cast<int>(peer_.timeout.count()); }

  // The association failed mid-way: it is dropped, unusable.
  Error Lost(const std::string& what, const OFCondition& condition) {
    usable_ = false;
    return Unreachable(what + " to " + peer_.called_ae_title + " failed", condition);
  }

  // The transfer syntax the peer accepted on `context`, if it accepted it.
  std::optional<std::string> Accepted(T_ASC_PresentationContextID context) const {
    T_ASC_PresentationContext pc;
    if (ASC_findAcceptedPresentationContext(association_->params, context, &pc).bad()) {
      return std::nullopt;
    }
    if (pc.resultReason != ASC_P_ACCEPTANCE) return std::nullopt;
    return std::string(pc.acceptedTransferSyntax);
  }

  struct Found {
    DcmTagKey key;
    std::vector<std::string> values;
  };
  static void Collect(void* data, T_DIMSE_C_FindRQ*, int, T_DIMSE_C_FindRSP*,
                      DcmDataset* identifiers) {
    auto* found = static_cast<Found*>(data);
    OFString value;
    if (identifiers != nullptr && identifiers->findAndGetOFString(found->key, value).good() &&
        !value.empty()) {
      found->values.emplace_back(value.c_str());
    }
  }

  // A Study Root C-FIND at `level` of one study (and series), answering `key`.
  Result<std::vector<std::string>> Find(const char* level, const std::string& study_uid,
                                        const std::string& series_uid, const DcmTagKey& key) {
    DcmDataset query;
    query.putAndInsertString(DCM_QueryRetrieveLevel, level);
    query.putAndInsertString(DCM_StudyInstanceUID, study_uid.c_str());
    query.putAndInsertString(DCM_SeriesInstanceUID, series_uid.c_str());
    if (key != DCM_SeriesInstanceUID) query.putAndInsertString(key, "");
    T_DIMSE_C_FindRQ request{};
    request.MessageID = association_->nextMsgID++;
    OFStandard::strlcpy(request.AffectedSOPClassUID, UID_FINDStudyRootQueryRetrieveInformationModel,
                        sizeof(request.AffectedSOPClassUID));
    request.DataSetType = DIMSE_DATASET_PRESENT;
    request.Priority = DIMSE_PRIORITY_MEDIUM;
    Found found{key, {}};
    int responses = 0;
    T_DIMSE_C_FindRSP response{};
    DcmDataset* detail = nullptr;
    const OFCondition c =
        DIMSE_findUser(association_, kFindContext, &request, &query, responses, &Collect, &found,
                       DIMSE_NONBLOCKING, Timeout(), &response, &detail);
    delete detail;
    if (c.bad()) return Lost("C-FIND", c);
    if (response.DimseStatus != STATUS_Success) {
      return Unavailable("the peer answered C-FIND with " + StatusText(response.DimseStatus));
    }
    return found.values;
  }

  const PeerAddress peer_;
  const std::vector<InstanceKind> kinds_;
  std::unique_ptr<DcmTLSTransportLayer> tls_;  // outlives network_
  T_ASC_Network* network_ = nullptr;
  T_ASC_Association* association_ = nullptr;
  bool usable_ = false;    // false: abort rather than release
  bool rejected_ = false;  // the peer rejected it: nothing to abort
};

}  // namespace

std::string StatusText(std::uint16_t status) {
  char text[8];
  std::snprintf(text, sizeof(text), "0x%04X", status);
  return text;
}

Result<std::unique_ptr<PeerAssociation>> PeerAssociation::Open(
    const PeerAddress& peer, const std::vector<InstanceKind>& kinds) {
  if (kinds.size() > kMaxInstanceKinds) return InvalidInput("too many kinds of instance at once");
  Initialize();
  auto association = std::make_unique<DcmtkAssociation>(peer, kinds);
  if (Status connected = association->Connect(); !connected.ok()) return connected.error();
  return std::unique_ptr<PeerAssociation>(std::move(association));
}

}  // namespace pacsport::dicom
