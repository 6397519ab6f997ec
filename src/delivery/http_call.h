// HttpCall: one HTTP request of a sender, over libcurl. The body is a string, a range
// of an open file read as it is sent (never whole in memory), or consecutive pieces of
// memory the caller keeps (a multipart body around instances it holds, not copied).
//
// Perform answers whatever status the server gave (the caller decides what it
// means). kUnavailable when no answer came: the connection failed, no byte moved for
// `stall_timeout`, or `stop` was requested. Errors name the method and the URL
// without its query (which may carry a SAS token), never a credential.
// Thread-safe: every call uses an easy handle of its own.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace pacsport::delivery {

struct FileRange {
  int fd = -1;  // borrowed; read with pread, so one fd may serve several calls at once
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// How much of an answer's body a call keeps unless it says otherwise.
inline constexpr std::size_t kMaxAnswerBody = std::size_t{1} << 20;

struct HttpCall {
  std::string method = "GET";        // GET, HEAD, PUT, POST or DELETE
  std::string url;                   // absolute; the query already percent-encoded
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // the body, unless `file` or `pieces` is set
  std::optional<FileRange> file;
  std::vector<std::string_view> pieces;  // borrowed; sent one after another, POST only
  // libcurl's AWS Signature Version 4 (CURLOPT_AWS_SIGV4), e.g. "aws:amz:us-east-1:s3",
  // with `user_password` "ACCESS_KEY:SECRET"; the caller sends x-amz-content-sha256 and
  // types every body (Content-Type), since a signed call keeps libcurl's own headers.
  std::string aws_sigv4;
  std::string user_password;
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds stall_timeout{60};
  // Body bytes sent are added here as they go (a retried call adds them again).
  std::atomic<std::uint64_t>* bytes_sent = nullptr;
  // The answer's body is kept up to so many bytes, the rest dropped.
  std::size_t max_answer_body = kMaxAnswerBody;
};

struct HttpAnswer {
  long status = 0;
  std::string body;                            // at most the call's max_answer_body bytes
  std::map<std::string, std::string> headers;  // names in lower case
};

Result<HttpAnswer> Perform(const HttpCall& call, std::stop_token stop);

// The URL without its query, for messages and logs.
std::string WithoutQuery(const std::string& url);

}  // namespace pacsport::delivery
