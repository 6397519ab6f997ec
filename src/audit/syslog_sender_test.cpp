#include "audit/syslog_sender.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>

namespace pacsport::audit {
namespace {

using std::chrono::milliseconds;

SyslogSettings At(std::string url, milliseconds timeout = milliseconds(5000)) {
  SyslogSettings settings;
  settings.url = std::move(url);
  settings.timeout = timeout;
  return settings;
}

TEST(FormatSyslogMessage, Rfc5424HeaderThenBomAndXml) {
  const SystemTime time{std::chrono::milliseconds(1'796'292'000'123)};
  EXPECT_EQ(FormatSyslogMessage(SyslogSeverity::kNotice, time, "pacs-1", "4711", "<A/>"),
            "<85>1 2026-12-03T10:00:00.123Z pacs-1 pacsport 4711 IHE+RFC-3881 - "
            "\xEF\xBB\xBF<A/>");
  EXPECT_TRUE(FormatSyslogMessage(SyslogSeverity::kWarning, time, "", "", "")
                  .starts_with("<84>1 2026-12-03T10:00:00.123Z - pacsport - IHE+RFC-3881 - "));
  EXPECT_TRUE(FormatSyslogMessage(SyslogSeverity::kError, time, "a b", "1", "")
                  .starts_with("<83>1 2026-12-03T10:00:00.123Z a_b pacsport 1 "));
}

TEST(SyslogSender, RefusesMalformedUrls) {
  for (const char* url : {"", "syslog://h:514", "udp://h", "udp://:514", "tcp://h:", "tcp://h:x",
                          "tcp://h:70000", "tcp://h:0", "udp://h/x:514"}) {
    auto sender = SyslogSender::Create(At(url));
    ASSERT_FALSE(sender.ok()) << url;
    EXPECT_EQ(sender.error().code(), ErrorCode::kInvalidInput) << url;
  }
  EXPECT_TRUE(SyslogSender::Create(At("udp://[::1]:514")).ok());
  EXPECT_TRUE(SyslogSender::Create(At("tcp://localhost:601")).ok());
}

TEST(SyslogSender, RefusesTlsFilesThatCannotBeLoaded) {
  SyslogSettings settings = At("tls://h:6514");
  settings.ca_file = "/nonexistent.pem";
  auto missing_ca = SyslogSender::Create(settings);
  ASSERT_FALSE(missing_ca.ok());
  EXPECT_NE(missing_ca.error().message().find("audit.syslog.ca_file"), std::string::npos);
  settings = At("tls://h:6514");
  settings.cert_file = "/c.pem";
  auto lone_cert = SyslogSender::Create(settings);
  ASSERT_FALSE(lone_cert.ok());
  EXPECT_EQ(lone_cert.error().code(), ErrorCode::kInvalidInput);
}

// A loopback socket of `type` on a free port; listening when a stream.
struct Listener {
  explicit Listener(int type) {
    fd = ::socket(AF_INET, type, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
    if (type == SOCK_STREAM) {
      EXPECT_EQ(::listen(fd, 4), 0);
    }
    timeval tv{.tv_sec = 5, .tv_usec = 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Listener() { ::close(fd); }
  int fd = -1;
  int port = 0;
};

// Reads from `fd` until `size` bytes arrived or the peer closed.
std::string ReadBytes(int fd, size_t size) {
  std::string data;
  char buffer[4096];
  while (data.size() < size) {
    const ssize_t n = ::recv(fd, buffer, std::min(sizeof buffer, size - data.size()), 0);
    if (n <= 0) break;
    data.append(buffer, static_cast<size_t>(n));
  }
  return data;
}

TEST(SyslogSender, UdpSendsOneDatagramPerMessage) {
  Listener listener(SOCK_DGRAM);
  auto sender = SyslogSender::Create(At("udp://127.0.0.1:" + std::to_string(listener.port)));
  ASSERT_TRUE(sender.ok());
  ASSERT_TRUE((*sender)->Send("first").ok());
  ASSERT_TRUE((*sender)->Send("second").ok());
  char buffer[64];
  ssize_t n = ::recv(listener.fd, buffer, sizeof buffer, 0);
  EXPECT_EQ(std::string(buffer, static_cast<size_t>(std::max<ssize_t>(n, 0))), "first");
  n = ::recv(listener.fd, buffer, sizeof buffer, 0);
  EXPECT_EQ(std::string(buffer, static_cast<size_t>(std::max<ssize_t>(n, 0))), "second");
}

TEST(SyslogSender, TcpFramesByOctetCountingAndReconnectsAfterTheServerCloses) {
  Listener listener(SOCK_STREAM);
  auto sender = SyslogSender::Create(
      At("tcp://127.0.0.1:" + std::to_string(listener.port), milliseconds(2000)));
  ASSERT_TRUE(sender.ok());
  ASSERT_TRUE((*sender)->Send("héllo").ok());
  ASSERT_TRUE((*sender)->Send("x").ok());
  int first = ::accept(listener.fd, nullptr, nullptr);
  ASSERT_GE(first, 0);
  EXPECT_EQ(ReadBytes(first, 11), "6 héllo1 x");
  ::close(first);  // the repository restarts

  // The sender notices the closed connection before writing, and reconnects.
  ::usleep(50'000);
  ASSERT_TRUE((*sender)->Send("again").ok());
  int second = ::accept(listener.fd, nullptr, nullptr);
  ASSERT_GE(second, 0);
  EXPECT_EQ(ReadBytes(second, 7), "5 again");
  ::close(second);
}

TEST(SyslogSender, UnreachableRepositoryIsUnavailable) {
  int port = 0;
  {
    Listener closed(SOCK_STREAM);  // a port nobody listens on once closed
    port = closed.port;
  }
  auto sender = SyslogSender::Create(At("tcp://127.0.0.1:" + std::to_string(port)));
  ASSERT_TRUE(sender.ok());
  const Status sent = (*sender)->Send("lost");
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace pacsport::audit
