#include "http/connection_limits.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <optional>
#include <string_view>

namespace pacsport::http {
namespace {

using Clock = std::chrono::steady_clock;

// The connection the calling thread admitted last (accepting thread), and the one it
// serves (connection thread). A thread serves one server's connections at a time.
thread_local ConnectionLimits::ConnectionId admitted = 0;
thread_local ConnectionLimits::ConnectionId bound = 0;
thread_local ConnectionLimits* bound_limits = nullptr;

// A refused connection's unread request is drained for at most this long and this much.
constexpr auto kLingerTime = std::chrono::milliseconds(2000);
constexpr size_t kLingerBytes = size_t{1} << 20;
constexpr auto kWatchInterval = std::chrono::milliseconds(100);
constexpr auto kRefusalLogInterval = std::chrono::seconds(10);

struct Peer {
  std::string address;
  std::uint16_t port = 0;
};

// The client's address as text (IPv4-mapped IPv6 as plain IPv4), or nothing.
std::optional<Peer> PeerOf(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof(storage);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return std::nullopt;
  std::array<char, INET6_ADDRSTRLEN> text{};
  Peer peer;
  if (storage.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(storage);
    inet_ntop(AF_INET, &v4.sin_addr, text.data(), text.size());
    peer.port = ntohs(v4.sin_port);
  } else if (storage.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(storage);
    inet_ntop(AF_INET6, &v6.sin6_addr, text.data(), text.size());
    peer.port = ntohs(v6.sin6_port);
  } else {
    return std::nullopt;
  }
  peer.address = text.data();
  constexpr std::string_view kMapped = "::ffff:";
  if (peer.address.starts_with(kMapped) && peer.address.find('.') != std::string::npos) {
    peer.address.erase(0, kMapped.size());
  }
  return peer;
}

// A best-effort answer on a socket about to be closed; never blocks.
void Refuse(int fd, int status, std::string_view reason, std::string_view code,
            std::string_view message) {
  const std::string body = std::string(R"({"error":{"code":")") + std::string(code) +
                           R"(","message":")" + std::string(message) + R"("}})";
  const std::string answer = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
                             "\r\nContent-Type: application/json\r\n"
                             "X-Content-Type-Options: nosniff\r\nRetry-After: 5\r\n"
                             "Connection: close\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body;
  (void)send(fd, answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  shutdown(fd, SHUT_WR);
}

}  // namespace

ConnectionLimits::ConnectionLimits(ConnectionLimitSettings settings)
    : settings_(settings), watchdog_([this] { Watch(); }) {}

ConnectionLimits::~ConnectionLimits() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  watchdog_.join();
}

bool ConnectionLimits::Admit(int fd) {
  const std::optional<Peer> peer = PeerOf(fd);
  if (!peer) return false;
  std::lock_guard lock(mutex_);
  if (static_cast<int>(connections_.size()) >= settings_.max_connections) {
    ++refused_;
    Refuse(fd, 503, "Service Unavailable", "unavailable",
           "the server has too many open connections; retry shortly");
    return false;
  }
  int& from_address = per_address_[peer->address];
  if (from_address >= settings_.max_per_address) {
    ++refused_;
    Refuse(fd, 429, "Too Many Requests", "too_many_requests",
           "too many open connections from this address");
    return false;
  }
  ++from_address;
  // cpp-httplib writes a response's headers and body in separate sends: without this,
  // Nagle's algorithm holds the body until the client's delayed ACK, 40 ms a request.
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  const ConnectionId id = next_id_++;
  connections_.emplace(id, Connection{fd, peer->address, peer->port,
                                      Clock::now() + settings_.request_header_timeout});
  admitted = id;
  return true;
}

ConnectionLimits::ConnectionId ConnectionLimits::TakeAdmitted() {
  return std::exchange(admitted, 0);
}

void ConnectionLimits::Bind(ConnectionId id) {
  bound = id;
  bound_limits = this;
}

void ConnectionLimits::Release() {
  const ConnectionId id = std::exchange(bound, 0);
  bound_limits = nullptr;
  std::lock_guard lock(mutex_);
  const auto it = connections_.find(id);
  if (it == connections_.end()) return;
  if (const auto count = per_address_.find(it->second.address); --count->second == 0) {
    per_address_.erase(count);
  }
  connections_.erase(it);
}

ConnectionLimits::Connection* ConnectionLimits::Current() {
  const auto it = connections_.find(bound);
  return it == connections_.end() ? nullptr : &it->second;
}

void ConnectionLimits::RequestStarted() {
  std::lock_guard lock(mutex_);
  if (Connection* connection = Current()) connection->deadline = Clock::time_point::max();
}

void ConnectionLimits::CloseAfterResponse() {
  if (bound_limits != nullptr) bound_limits->MarkCloseAfterResponse();
}

void ConnectionLimits::MarkCloseAfterResponse() {
  std::lock_guard lock(mutex_);
  if (Connection* connection = Current()) connection->close_after_response = true;
}

void ConnectionLimits::ResponseSent() {
  int linger_fd = -1;
  {
    std::lock_guard lock(mutex_);
    Connection* connection = Current();
    if (connection == nullptr) return;
    connection->deadline = Clock::now() + settings_.request_header_timeout;
    if (connection->close_after_response) linger_fd = connection->fd;
  }
  if (linger_fd >= 0) LingeringClose(linger_fd);
}

void ConnectionLimits::LingeringClose(int fd) {
  shutdown(fd, SHUT_WR);
  const auto until = Clock::now() + kLingerTime;
  std::array<char, 16384> discard;
  size_t drained = 0;
  while (drained < kLingerBytes) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0) break;
    pollfd readable{fd, POLLIN, 0};
    if (poll(&readable, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t got = recv(fd, discard.data(), discard.size(), 0);
    if (got <= 0) break;
    drained += static_cast<size_t>(got);
  }
  shutdown(fd, SHUT_RD);
}

int ConnectionLimits::open_connections() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(connections_.size());
}

void ConnectionLimits::Watch() {
  auto last_refusal_log = Clock::now();
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, kWatchInterval, [this] { return stopping_; })) {
    const auto now = Clock::now();
    for (auto& [id, connection] : connections_) {
      if (connection.shut_down || connection.deadline > now) continue;
      // The socket may have been closed by its thread and its number reused by a new
      // connection not admitted yet: shut down only the peer this entry describes.
      const std::optional<Peer> peer = PeerOf(connection.fd);
      if (peer && peer->port == connection.port && peer->address == connection.address) {
        shutdown(connection.fd, SHUT_RDWR);
      }
      connection.shut_down = true;
    }
    if (refused_ > 0 && now - last_refusal_log >= kRefusalLogInterval) {
      spdlog::warn("event=connections_refused count={}", std::exchange(refused_, 0));
      last_refusal_log = now;
    }
  }
}

}  // namespace pacsport::http
