// SyslogSender: delivers syslog messages to one audit record repository.
//
// Messages are RFC 5424 (FormatSyslogMessage); the repository is named by a URL:
//   udp://HOST:PORT  one datagram per message (RFC 5426). UDP neither reports loss nor
//                    carries more than one datagram (~64 KiB, often less at the
//                    receiver): a long message is truncated, one sent while the
//                    repository is down is lost.
//   tls://HOST:PORT  RFC 5425: TLS 1.2 or later (OpenSSL), the server's certificate
//                    verified against ca_file and HOST; a client certificate and key
//                    for mutual TLS when given; octet-counting framing "LEN SP MSG".
//   tcp://HOST:PORT  the same framing without TLS (RFC 6587), for tests.
// A stream connection is opened on the first Send and kept; a failed Send closes it
// and the next one reconnects. A new TLS connection is given 250 ms to be refused
// (TLS 1.3 servers check the client certificate after the handshake), and before
// writing on a kept connection the sender checks that the repository has not closed
// it. Syslog has no acknowledgement, though: a message written just as the
// repository goes away can still be lost.
// Requires SIGPIPE ignored (serve does): OpenSSL writes to the socket with write(2).
// Not thread-safe: one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"

namespace pacsport::audit {

struct SyslogSettings {
  std::string url;        // udp://, tls:// or tcp:// HOST:PORT; HOST may be "[::1]"
  std::string ca_file;    // tls: the CA certificates (PEM) the server's is checked against
  std::string cert_file;  // tls: the client certificate (PEM), for mutual TLS; optional
  std::string key_file;   // tls: its private key (PEM); required with cert_file
  std::chrono::milliseconds timeout{5000};  // of connecting and of each write
};

// Syslog severities of RFC 5424 used for audit messages.
enum class SyslogSeverity { kError = 3, kWarning = 4, kNotice = 5 };

// One RFC 5424 message: PRI (facility 10, authpriv, and `severity`), VERSION 1,
// TIMESTAMP `time`, HOSTNAME, APP-NAME "pacsport", PROCID, MSGID "IHE+RFC-3881", no
// STRUCTURED-DATA, and MSG = the UTF-8 BOM followed by `xml`. Header fields are cut
// to their RFC 5424 lengths and empty ones written as "-".
std::string FormatSyslogMessage(SyslogSeverity severity, SystemTime time, std::string_view hostname,
                                std::string_view process_id, std::string_view xml);

// Status::Ok when `url` is one SyslogSender::Create accepts, else its kInvalidInput.
Status CheckSyslogUrl(const std::string& url);

class SyslogSender {
 public:
  // kInvalidInput for a malformed URL, an unknown scheme, or TLS files that cannot be
  // loaded (named in the message). Connects nowhere yet.
  static Result<std::unique_ptr<SyslogSender>> Create(const SyslogSettings& settings);
  virtual ~SyslogSender() = default;

  // Sends one message (FormatSyslogMessage's), connecting first when needed.
  // kUnavailable when the repository cannot be reached or the write fails (the
  // connection is then closed).
  virtual Status Send(std::string_view message) = 0;
};

}  // namespace pacsport::audit
