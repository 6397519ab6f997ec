// RestClient: GET requests to one HTTP server (an Orthanc), over libcurl.
//
// At most `max_in_flight` requests run at once; a caller beyond that waits for a
// free connection. Connections are kept alive and reused. A request fails when the
// connection cannot be made within the connect timeout or when no byte arrives for
// the read timeout. Failures that may pass (connection errors, timeouts, HTTP 5xx)
// are retried up to `retries` times with a growing pause, as long as no byte of the
// body has been handed to the caller yet (or the caller can restart).
//
// Errors name the request ("GET /path: ..."), never the credentials:
//   kUnavailable  the server cannot be reached or answers 5xx, 401 or 403
//   kNotFound     HTTP 404
//   kInternal     any other unexpected answer
// or whatever error the caller's consumer returned.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "orthanc/orthanc_settings.h"

namespace pacsport {

class RestClient {
 public:
  using ChunkConsumer = std::function<Status(std::string_view)>;

  explicit RestClient(const OrthancSettings& settings);
  ~RestClient();
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

  // The body of GET `path` (which starts with '/'), whole.
  Result<std::string> Get(const std::string& path);
  // The body of GET `path`, handed to `consume` in order in pieces of at most
  // `chunk_size` bytes. Once a piece has been handed on, a failure is final.
  Status GetChunked(const std::string& path, size_t chunk_size, const ChunkConsumer& consume);

 private:
  class Connection;
  // A connection leased for one request; returned to the pool when destroyed.
  class Lease;

  // Attempts, retrying per the contract; `restart` (may be null) runs before each
  // retry and makes retries possible after delivery.
  Status Fetch(const std::string& path, size_t chunk_size, const ChunkConsumer& consume,
               const std::function<void()>& restart);
  Lease Acquire();

  const OrthancSettings settings_;
  std::mutex mutex_;
  std::condition_variable released_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mutex_
  int created_ = 0;                                // guarded by mutex_
};

}  // namespace pacsport
