// PeerAssociation: one DICOM upper-layer association from this server to another
// PACS (DCMTK's dcmnet, and dcmtls for TLS), for sending instances with C-STORE,
// asking what the peer holds with C-FIND, and C-ECHO. Used by one thread.
//
// Presentation contexts: for each (SOP class, stored transfer syntax) pair asked
// for, one context offers the stored syntax alone and a second offers Explicit and
// Implicit VR Little Endian (the lossless fallback), so that the peer's answer tells
// which of the two an instance can go in; Verification and Study Root C-FIND are
// always offered. At most kMaxInstanceKinds pairs fit in one association (the
// protocol allows 128 contexts).
// Errors: kUnavailable when the peer cannot be reached, times out or drops the
// association (it is then unusable: open another); kForbidden when the peer rejects
// the association (an AE title it does not know: not worth retrying), with its reason;
// kInvalidInput for bad arguments.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace pacsport::dicom {

struct PeerAddress {
  std::string called_ae_title;
  std::string calling_ae_title;
  std::string host;
  int port = 104;
  bool tls = false;
  std::string ca_certificate_pem;  // with tls: a private CA to trust; "" = the system's
  std::chrono::seconds timeout{30};
};

// A SOP class and the transfer syntax of instances of it as stored.
using InstanceKind = std::pair<std::string, std::string>;
inline constexpr std::size_t kMaxInstanceKinds = 60;

// How the peer answered one C-STORE.
struct StoreAnswer {
  std::uint16_t status = 0;         // the DIMSE status (0 success; warnings: PS3.7 C)
  std::string transfer_syntax_uid;  // as sent
  bool transcoded = false;          // sent in another syntax than stored
  // Success, or a warning (0x0001, 0x0107, 0x0116, 0xBxxx): the peer kept the instance.
  bool Stored() const {
    return status == 0 || status == 0x0001 || status == 0x0107 || status == 0x0116 ||
           (status & 0xF000) == 0xB000;
  }
};

// "0xA700"
std::string StatusText(std::uint16_t status);

class PeerAssociation {
 public:
  // Requests an association offering `kinds` (at most kMaxInstanceKinds) as above.
  static Result<std::unique_ptr<PeerAssociation>> Open(const PeerAddress& peer,
                                                       const std::vector<InstanceKind>& kinds);
  virtual ~PeerAssociation() = default;  // releases the association

  // True when the peer accepted a context for `kind` (stored or fallback syntax).
  virtual bool Offered(const InstanceKind& kind) const = 0;
  // Whether the peer accepted the kind's SOP class at all.
  virtual bool AcceptsSopClass(const std::string& sop_class_uid) const = 0;
  // Sends `bytes` (a Part 10 file of `kind`, whose SOP Instance UID is given) unchanged when the
  // peer accepted its stored syntax, else decoded losslessly to Explicit or Implicit VR Little
  // Endian. A peer that accepted neither, or a file that cannot be decoded, is kInvalidInput naming
  // why; a refusing status is an answer, not an error.
  virtual Result<StoreAnswer> Store(const InstanceKind& kind, const std::string& sop_instance_uid,
                                    const std::string& bytes) = 0;
  // C-ECHO.
  virtual Status Echo() = 0;
  // Whether the peer accepted Study Root C-FIND.
  virtual bool Answers() const = 0;
  // The SOP Instance UIDs the peer holds of a study (C-FIND of its series, then of
  // each series' instances, as a strictly hierarchical peer wants). kInvalidInput
  // unless Answers(); kUnavailable when the peer answers the query with a failure.
  virtual Result<std::set<std::string>> FindInstances(const std::string& study_uid) = 0;
};

}  // namespace pacsport::dicom
