#include "orthanc/rest_client.h"

#include <curl/curl.h>

#include <thread>

namespace pacsport {
namespace {

constexpr size_t kMaxErrorBody = 512;

void InitializeCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// What one attempt came to.
struct Outcome {
  Status status;
  bool transient = false;  // worth another attempt
  bool delivered = false;  // some of the body was handed on
};

// The state of one transfer, seen by libcurl's write callback.
struct Transfer {
  CURL* handle = nullptr;
  size_t chunk_size = 0;  // 0: hand on pieces as they arrive
  const RestClient::ChunkConsumer* consume = nullptr;
  long http_status = 0;
  std::string pending;     // body not yet handed on (chunk_size > 0)
  std::string error_body;  // the start of a non-200 body
  Status consumer_status;
  bool delivered = false;

  bool HandOn(std::string_view piece) {
    delivered = true;
    consumer_status = (*consume)(piece);
    return consumer_status.ok();
  }
};

size_t OnData(char* data, size_t, size_t size, void* user) {
  Transfer& t = *static_cast<Transfer*>(user);
  if (t.http_status == 0) curl_easy_getinfo(t.handle, CURLINFO_RESPONSE_CODE, &t.http_status);
  std::string_view piece(data, size);
  if (t.http_status != 200) {
    t.error_body.append(
        piece.substr(0, kMaxErrorBody - std::min(kMaxErrorBody, t.error_body.size())));
    return size;
  }
  if (t.chunk_size == 0) return t.HandOn(piece) ? size : 0;
  while (!piece.empty()) {
    const size_t take = std::min(piece.size(), t.chunk_size - t.pending.size());
    t.pending.append(piece.substr(0, take));
    piece.remove_prefix(take);
    if (t.pending.size() == t.chunk_size) {
      if (!t.HandOn(t.pending)) return 0;
      t.pending.clear();
    }
  }
  return size;
}

// Sets up `handle` for GET `url` into `transfer`, libcurl's message into `error`.
void Configure(CURL* handle, const OrthancSettings& settings, const std::string& url,
               Transfer& transfer, char* error) {
  curl_easy_reset(handle);  // keeps the live connection
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(settings.connect_timeout.count()));
  // The read timeout: less than a byte a second for that long.
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(settings.read_timeout.count()));
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &OnData);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &transfer);
  if (!settings.username.empty()) {
    curl_easy_setopt(handle, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(handle, CURLOPT_USERNAME, settings.username.c_str());
    curl_easy_setopt(handle, CURLOPT_PASSWORD, settings.password.c_str());
  }
}

// What a finished transfer came to (see the header's list of errors).
Outcome Classify(CURLcode code, long http, const char* error, Transfer& transfer,
                 const std::string& path) {
  const std::string context = "GET " + path;
  Outcome outcome;
  if (code == CURLE_WRITE_ERROR && !transfer.consumer_status.ok()) {
    outcome.status = transfer.consumer_status;
  } else if (code != CURLE_OK) {
    outcome.status =
        Unavailable(context + ": " + (error[0] != '\0' ? error : curl_easy_strerror(code)));
    outcome.transient = true;
  } else if (http == 200) {
    if (!transfer.pending.empty()) transfer.HandOn(transfer.pending);
    outcome.status = transfer.consumer_status;
  } else if (http == 404) {
    outcome.status = NotFound(context + ": HTTP 404 (not found)");
  } else if (http == 401 || http == 403) {
    outcome.status = Unavailable(context + ": HTTP " + std::to_string(http) +
                                 ": the source refused pacsport's credentials");
  } else if (http >= 500) {
    outcome.status = Unavailable(context + ": HTTP " + std::to_string(http));
    outcome.transient = true;
  } else {
    outcome.status =
        Internal(context + ": HTTP " + std::to_string(http) + " " + transfer.error_body);
  }
  outcome.delivered = transfer.delivered;
  return outcome;
}

// One attempt at GET `path` on `handle`.
Outcome Perform(CURL* handle, const OrthancSettings& settings, const std::string& path,
                size_t chunk_size, const RestClient::ChunkConsumer& consume) {
  char error[CURL_ERROR_SIZE] = {};
  Transfer transfer;
  transfer.handle = handle;
  transfer.chunk_size = chunk_size;
  transfer.consume = &consume;
  Configure(handle, settings, settings.url + path, transfer, error);
  const CURLcode code = curl_easy_perform(handle);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, nullptr);
  long http = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &http);
  return Classify(code, http, error, transfer, path);
}

}  // namespace

class RestClient::Connection {
 public:
  Connection() : handle_(curl_easy_init()) {
    if (handle_ == nullptr) throw std::bad_alloc();
  }
  ~Connection() { curl_easy_cleanup(handle_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  CURL* handle() const { return handle_; }

 private:
  CURL* const handle_;
};

class RestClient::Lease {
 public:
  Lease(RestClient& client, std::unique_ptr<Connection> connection)
      : client_(client), connection_(std::move(connection)) {}
  ~Lease() {
    std::lock_guard lock(client_.mutex_);
    client_.idle_.push_back(std::move(connection_));
    client_.released_.notify_one();
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  Connection& connection() { return *connection_; }

 private:
  RestClient& client_;
  std::unique_ptr<Connection> connection_;
};

RestClient::RestClient(const OrthancSettings& settings) : settings_(settings) {
  InitializeCurlOnce();
}

RestClient::~RestClient() = default;

RestClient::Lease RestClient::Acquire() {
  std::unique_lock lock(mutex_);
  released_.wait(lock, [&] { return !idle_.empty() || created_ < settings_.max_in_flight; });
  if (!idle_.empty()) {
    std::unique_ptr<Connection> connection = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(connection));
  }
  ++created_;
  return Lease(*this, std::make_unique<Connection>());
}

Status RestClient::Fetch(const std::string& path, size_t chunk_size, const ChunkConsumer& consume,
                         const std::function<void()>& restart) {
  for (int attempt = 0;; ++attempt) {
    Outcome outcome;
    {
      Lease lease = Acquire();
      outcome = Perform(lease.connection().handle(), settings_, path, chunk_size, consume);
    }
    const bool may_retry = outcome.transient && attempt < settings_.retries &&
                           (!outcome.delivered || restart != nullptr);
    if (outcome.status.ok() || !may_retry) return outcome.status;
    std::this_thread::sleep_for(std::chrono::milliseconds(100) * (1 << attempt));
    if (restart != nullptr) restart();
  }
}

Result<std::string> RestClient::Get(const std::string& path) {
  std::string body;
  Status status = Fetch(
      path, 0,
      [&](std::string_view piece) {
        body.append(piece);
        return Status::Ok();
      },
      [&] { body.clear(); });
  if (!status.ok()) return status.error();
  return body;
}

Status RestClient::GetChunked(const std::string& path, size_t chunk_size,
                              const ChunkConsumer& consume) {
  return Fetch(path, chunk_size, consume, nullptr);
}

}  // namespace pacsport
