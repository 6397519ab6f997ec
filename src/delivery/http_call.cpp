#include "delivery/http_call.h"

#include <curl/curl.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <memory>

namespace pacsport::delivery {
namespace {

struct Transfer {
  const HttpCall& call;
  std::stop_token stop;
  std::uint64_t sent = 0;  // of the file range, or of the pieces
  std::size_t piece = 0;   // the piece `sent` falls in, and the offset in that piece
  std::size_t piece_offset = 0;
  HttpAnswer answer;
  bool read_failed = false;
};

size_t ReadBody(char* buffer, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const FileRange& range = *transfer.call.file;
  const std::uint64_t left = range.length - transfer.sent;
  const size_t want = static_cast<size_t>(std::min<std::uint64_t>(left, size * count));
  if (want == 0) return 0;
  ssize_t n;
  do {
    n = ::pread(range.fd, buffer, want, static_cast<off_t>(range.offset + transfer.sent));
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    transfer.read_failed = true;
    return CURL_READFUNC_ABORT;
  }
  transfer.sent += static_cast<std::uint64_t>(n);
  if (transfer.call.bytes_sent != nullptr)
    *transfer.call.bytes_sent += static_cast<std::uint64_t>(n);
  return static_cast<size_t>(n);
}

// A retried call starts the body again.
int SeekBody(void* user, curl_off_t offset, int origin) {
  auto& transfer = *static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 ||
      static_cast<std::uint64_t>(offset) > transfer.call.file->length) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  transfer.sent = static_cast<std::uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t ReadPieces(char* buffer, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::vector<std::string_view>& pieces = transfer.call.pieces;
  size_t written = 0;
  while (written < size * count && transfer.piece < pieces.size()) {
    const std::string_view rest = pieces[transfer.piece].substr(transfer.piece_offset);
    const size_t n = std::min(rest.size(), size * count - written);
    std::copy_n(rest.data(), n, buffer + written);
    written += n;
    transfer.piece_offset += n;
    if (transfer.piece_offset == pieces[transfer.piece].size()) {
      ++transfer.piece;
      transfer.piece_offset = 0;
    }
  }
  transfer.sent += written;
  if (transfer.call.bytes_sent != nullptr) *transfer.call.bytes_sent += written;
  return written;
}

// A retried call starts the pieces again from `offset`.
int SeekPieces(void* user, curl_off_t offset, int origin) {
  auto& transfer = *static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
  std::uint64_t left = static_cast<std::uint64_t>(offset);
  transfer.piece = 0;
  while (transfer.piece < transfer.call.pieces.size() &&
         left >= transfer.call.pieces[transfer.piece].size()) {
    left -= transfer.call.pieces[transfer.piece].size();
    ++transfer.piece;
  }
  if (transfer.piece == transfer.call.pieces.size() && left > 0) return CURL_SEEKFUNC_CANTSEEK;
  transfer.piece_offset = static_cast<std::size_t>(left);
  transfer.sent = static_cast<std::uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t WriteAnswer(char* data, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  std::string& body = transfer.answer.body;
  const size_t n = size * count;
  const size_t limit = transfer.call.max_answer_body;
  body.append(data, std::min(n, limit - std::min(body.size(), limit)));
  return n;
}

size_t WriteHeader(char* data, size_t size, size_t count, void* user) {
  const std::string_view line(data, size * count);
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    static_cast<Transfer*>(user)->answer.headers[name] = std::string(value);
  }
  return size * count;
}

int Progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<Transfer*>(user)->stop.stop_requested() ? 1 : 0;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

std::string WithoutQuery(const std::string& url) { return url.substr(0, url.find('?')); }

Result<HttpAnswer> Perform(const HttpCall& call, std::stop_token stop) {
  const std::string what = call.method + " " + WithoutQuery(call.url);
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return Internal(what + ": libcurl cannot start a transfer");
  Transfer transfer{call, stop, 0, 0, 0, {}, false};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(call.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(call.stall_timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteAnswer);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, Progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &transfer);
  if (!call.aws_sigv4.empty()) {
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, call.aws_sigv4.c_str());
    curl_easy_setopt(c, CURLOPT_USERPWD, call.user_password.c_str());
  }

  std::unique_ptr<curl_slist, CurlDeleter> headers;
  for (const std::string& header : call.headers) {
    headers.reset(curl_slist_append(headers.release(), header.c_str()));
  }
  // libcurl 7.88 signs a header-removal entry ("Expect:") as an empty header that it
  // then does not send, so the store refuses the signature: a signed call gets no
  // removal entries (its caller types every body it sends).
  if (call.aws_sigv4.empty()) {
    // No "Expect: 100-continue" round trip before each body.
    headers.reset(curl_slist_append(headers.release(), "Expect:"));
    // Nor libcurl's form Content-Type on a body the caller did not type.
    const bool typed =
        std::any_of(call.headers.begin(), call.headers.end(), [](const std::string& h) {
          return h.size() > 13 && strncasecmp(h.c_str(), "content-type:", 13) == 0;
        });
    if (!typed) headers.reset(curl_slist_append(headers.release(), "Content-Type:"));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

  if (call.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (call.file) {
    const bool put = call.method == "PUT";
    curl_easy_setopt(c, put ? CURLOPT_UPLOAD : CURLOPT_POST, 1L);
    curl_easy_setopt(c, put ? CURLOPT_INFILESIZE_LARGE : CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(call.file->length));
    curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(c, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, SeekBody);
    curl_easy_setopt(c, CURLOPT_SEEKDATA, &transfer);
  } else if (!call.pieces.empty()) {
    std::uint64_t length = 0;
    for (const std::string_view piece : call.pieces) length += piece.size();
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(length));
    curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadPieces);
    curl_easy_setopt(c, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, SeekPieces);
    curl_easy_setopt(c, CURLOPT_SEEKDATA, &transfer);
  } else if (call.method == "PUT" || call.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, call.body.c_str());
    if (call.method == "PUT") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
  } else if (call.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  }

  const CURLcode code = curl_easy_perform(c);
  if (code != CURLE_OK) {
    if (stop.stop_requested()) return Unavailable(what + ": stopped");
    if (transfer.read_failed) return Internal(what + ": the archive could not be read");
    return Unavailable(what + ": " + curl_easy_strerror(code));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &transfer.answer.status);
  return std::move(transfer.answer);
}

}  // namespace pacsport::delivery
