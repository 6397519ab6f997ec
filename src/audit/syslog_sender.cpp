#include "audit/syslog_sender.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace pacsport::audit {
namespace {

enum class Transport { kUdp, kTcp, kTls };

constexpr std::chrono::milliseconds kHandshakeGrace{250};

struct Endpoint {
  Transport transport = Transport::kUdp;
  std::string host;
  std::string port;
};

Result<Endpoint> ParseUrl(const std::string& url) {
  Endpoint endpoint;
  std::string_view rest = url;
  if (rest.starts_with("udp://")) {
    endpoint.transport = Transport::kUdp;
  } else if (rest.starts_with("tcp://")) {
    endpoint.transport = Transport::kTcp;
  } else if (rest.starts_with("tls://")) {
    endpoint.transport = Transport::kTls;
  } else {
    return InvalidInput("audit.syslog.url must start with udp://, tls:// or tcp://");
  }
  rest.remove_prefix(6);
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) {
    return InvalidInput("audit.syslog.url must be SCHEME://HOST:PORT");
  }
  std::string_view host = rest.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string_view port = rest.substr(colon + 1);
  const bool numeric =
      port.size() <= 5 && port.find_first_not_of("0123456789") == std::string_view::npos;
  const int number = numeric ? std::stoi(std::string(port)) : 0;
  if (host.empty() || host.find_first_of("/ \t\r\n") != std::string_view::npos || number < 1 ||
      number > 65535) {
    return InvalidInput("audit.syslog.url must be SCHEME://HOST:PORT (port 1-65535)");
  }
  endpoint.host = host;
  endpoint.port = port;
  return endpoint;
}

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown TLS error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

// An owned file descriptor.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Socket& operator=(Socket&& other) noexcept {
    Reset();
    fd_ = std::exchange(other.fd_, -1);
    return *this;
  }
  ~Socket() { Reset(); }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// A socket of `type` connected to the endpoint's first address that accepts, with
// `timeout` on connecting, sending and receiving.
Result<Socket> Connect(const Endpoint& endpoint, int type, std::chrono::milliseconds timeout) {
  const std::string where = endpoint.host + ":" + endpoint.port;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = type;
  addrinfo* addresses = nullptr;
  if (int rc = ::getaddrinfo(endpoint.host.c_str(), endpoint.port.c_str(), &hints, &addresses);
      rc != 0) {
    return Unavailable("audit repository " + where + ": " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(addresses, &::freeaddrinfo);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  int error = 0;
  for (const addrinfo* a = addresses; a != nullptr; a = a->ai_next) {
    Socket socket(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (socket.fd() < 0) {
      error = errno;
      continue;
    }
    // On Linux SO_SNDTIMEO bounds connect() too.
    ::setsockopt(socket.fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ::setsockopt(socket.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(socket.fd(), a->ai_addr, a->ai_addrlen) == 0) return socket;
    error = errno;
  }
  return Unavailable("audit repository " + where + ": " + std::strerror(error));
}

class UdpSender : public SyslogSender {
 public:
  UdpSender(Endpoint endpoint, std::chrono::milliseconds timeout)
      : endpoint_(std::move(endpoint)), timeout_(timeout) {}

  Status Send(std::string_view message) override {
    if (socket_.fd() < 0) {
      auto connected = Connect(endpoint_, SOCK_DGRAM, timeout_);
      if (!connected.ok()) return connected.error();
      socket_ = std::move(*connected);
    }
    if (::send(socket_.fd(), message.data(), message.size(), MSG_NOSIGNAL) < 0) {
      const int error = errno;
      socket_.Reset();
      return Unavailable("audit repository " + endpoint_.host + ":" + endpoint_.port + ": " +
                         std::strerror(error));
    }
    return Status::Ok();
  }

 private:
  const Endpoint endpoint_;
  const std::chrono::milliseconds timeout_;
  Socket socket_;
};

struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};

// tcp:// and tls://: octet-counting framing over a kept connection.
class StreamSender : public SyslogSender {
 public:
  // `tls` is null for tcp://.
  StreamSender(Endpoint endpoint, std::chrono::milliseconds timeout,
               std::unique_ptr<SSL_CTX, SslDeleter> tls)
      : endpoint_(std::move(endpoint)), timeout_(timeout), tls_(std::move(tls)) {}

  Status Send(std::string_view message) override {
    if (socket_.fd() >= 0 && !StillOpen(std::chrono::milliseconds(0))) Close();
    if (socket_.fd() < 0) {
      if (Status s = Open(); !s.ok()) return s;
    }
    const std::string frame = std::to_string(message.size()) + " " + std::string(message);
    Status written = Write(frame);
    if (!written.ok()) Close();
    return written;
  }

 private:
  std::string Where() const { return "audit repository " + endpoint_.host + ":" + endpoint_.port; }

  Status Open() {
    auto connected = Connect(endpoint_, SOCK_STREAM, timeout_);
    if (!connected.ok()) return connected.error();
    socket_ = std::move(*connected);
    if (!tls_) return Status::Ok();
    ssl_.reset(SSL_new(tls_.get()));
    if (!ssl_ || SSL_set_fd(ssl_.get(), socket_.fd()) != 1) {
      const std::string error = OpenSslError();
      Close();
      return Unavailable(Where() + ": " + error);
    }
    unsigned char address[sizeof(in6_addr)];
    const bool literal = ::inet_pton(AF_INET, endpoint_.host.c_str(), address) == 1 ||
                         ::inet_pton(AF_INET6, endpoint_.host.c_str(), address) == 1;
    // The certificate must name the host of the URL: its IP address, or its DNS name
    // (also sent as SNI).
    const bool named =
        literal
            ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), endpoint_.host.c_str()) == 1
            : SSL_set1_host(ssl_.get(), endpoint_.host.c_str()) == 1 &&
                  SSL_set_tlsext_host_name(ssl_.get(), endpoint_.host.c_str()) == 1;
    if (!named || SSL_connect(ssl_.get()) != 1) {
      std::string error = OpenSslError();
      const long verify = SSL_get_verify_result(ssl_.get());
      if (verify != X509_V_OK) error = X509_verify_cert_error_string(verify);
      Close();
      return Unavailable(Where() + ": TLS: " + error);
    }
    // With TLS 1.3 the handshake ends on our side before the server has checked our
    // certificate; a server that refuses it closes the connection just after, and what
    // was written meanwhile would be lost. Give it a moment to do so.
    if (!StillOpen(kHandshakeGrace)) {
      Close();
      return Unavailable(Where() + ": TLS: the server closed the connection after the " +
                         "handshake (is the client certificate accepted?)");
    }
    return Status::Ok();
  }

  void Close() {
    if (ssl_) SSL_shutdown(ssl_.get());  // best effort: one close_notify, not awaited
    ssl_.reset();
    socket_.Reset();
  }

  // False when the repository closed the connection (or it failed), looking for
  // `wait` at most. The repository never sends application data; what it may send is
  // TLS records (session tickets, an alert), which are read here without blocking.
  bool StillOpen(std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    char buffer[512];
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{socket_.fd(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0))) <= 0) {
        return true;  // nothing arrived
      }
      if ((p.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) return false;
      if (!ssl_) {
        const ssize_t n = ::recv(socket_.fd(), buffer, sizeof buffer, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return false;
        continue;
      }
      const int flags = ::fcntl(socket_.fd(), F_GETFL);
      ::fcntl(socket_.fd(), F_SETFL, flags | O_NONBLOCK);
      int n = 0;
      while ((n = SSL_read(ssl_.get(), buffer, sizeof buffer)) > 0) {
      }
      const int error = SSL_get_error(ssl_.get(), n);
      ERR_clear_error();
      ::fcntl(socket_.fd(), F_SETFL, flags);
      if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) return false;
    }
  }

  Status Write(std::string_view data) {
    while (!data.empty()) {
      if (ssl_) {
        size_t written = 0;
        if (SSL_write_ex(ssl_.get(), data.data(), data.size(), &written) != 1) {
          return Unavailable(Where() + ": TLS write: " + OpenSslError());
        }
        data.remove_prefix(written);
      } else {
        const ssize_t n = ::send(socket_.fd(), data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
          if (errno == EINTR) continue;
          return Unavailable(Where() + ": " + std::strerror(errno));
        }
        data.remove_prefix(static_cast<size_t>(n));
      }
    }
    return Status::Ok();
  }

  const Endpoint endpoint_;
  const std::chrono::milliseconds timeout_;
  const std::unique_ptr<SSL_CTX, SslDeleter> tls_;
  Socket socket_;
  std::unique_ptr<SSL, SslDeleter> ssl_;  // over socket_, for tls://
};

Result<std::unique_ptr<SSL_CTX, SslDeleter>> TlsContext(const SyslogSettings& settings) {
  std::unique_ptr<SSL_CTX, SslDeleter> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return Internal("TLS: " + OpenSslError());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_AUTO_RETRY);
  const bool loaded =
      settings.ca_file.empty()
          ? SSL_CTX_set_default_verify_paths(ctx.get()) == 1
          : SSL_CTX_load_verify_locations(ctx.get(), settings.ca_file.c_str(), nullptr) == 1;
  if (!loaded) {
    return InvalidInput("audit.syslog.ca_file " + settings.ca_file + ": " + OpenSslError());
  }
  if (settings.cert_file.empty() != settings.key_file.empty()) {
    return InvalidInput("audit.syslog.cert_file and audit.syslog.key_file go together");
  }
  if (!settings.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), settings.cert_file.c_str()) != 1) {
      return InvalidInput("audit.syslog.cert_file " + settings.cert_file + ": " + OpenSslError());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), settings.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1) {
      return InvalidInput("audit.syslog.key_file " + settings.key_file + ": " + OpenSslError());
    }
  }
  return ctx;
}

// Printable US-ASCII (33-126) of at most `max` characters; "-" when empty.
std::string HeaderField(std::string_view value, size_t max) {
  std::string out;
  for (char c : value.substr(0, max)) out += (c >= 33 && c <= 126) ? c : '_';
  return out.empty() ? "-" : out;
}

}  // namespace

std::string FormatSyslogMessage(SyslogSeverity severity, SystemTime time, std::string_view hostname,
                                std::string_view process_id, std::string_view xml) {
  constexpr int kAuthpriv = 10;
  std::string message = "<" + std::to_string(kAuthpriv * 8 + static_cast<int>(severity)) + ">1 ";
  message += Iso8601(time) + " ";
  message += HeaderField(hostname, 255) + " pacsport " + HeaderField(process_id, 128) +
             " IHE+RFC-3881 - \xEF\xBB\xBF";
  message += xml;
  return message;
}

Status CheckSyslogUrl(const std::string& url) {
  auto endpoint = ParseUrl(url);
  return endpoint.ok() ? Status::Ok() : Status(endpoint.error());
}

Result<std::unique_ptr<SyslogSender>> SyslogSender::Create(const SyslogSettings& settings) {
  auto endpoint = ParseUrl(settings.url);
  if (!endpoint.ok()) return endpoint.error();
  switch (endpoint->transport) {
    case Transport::kUdp:
      return std::unique_ptr<SyslogSender>(
          std::make_unique<UdpSender>(std::move(*endpoint), settings.timeout));
    case Transport::kTcp:
      return std::unique_ptr<SyslogSender>(
          std::make_unique<StreamSender>(std::move(*endpoint), settings.timeout, nullptr));
    case Transport::kTls: {
      auto ctx = TlsContext(settings);
      if (!ctx.ok()) return ctx.error();
      return std::unique_ptr<SyslogSender>(
          std::make_unique<StreamSender>(std::move(*endpoint), settings.timeout, std::move(*ctx)));
    }
  }
  return Internal("unknown syslog transport");
}

}  // namespace pacsport::audit
