// pacsport's one error vocabulary.
//
// Every failure that crosses a layer boundary is an Error: an ErrorCode from the
// table below plus a human message that never contains patient data. Adapters of
// foreign libraries (DCMTK, SOCI, OpenSSL, libcurl) translate their failures into
// an Error inside the adapter, so the HTTP layer has a single catch boundary.
//
// Expected failures are returned as Result<T> / Status; only errors that abort the
// whole request are thrown, as ErrorException. Thread-safe: values only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace pacsport {

enum class ErrorCode {
  kInvalidInput,      // the caller sent something malformed (400)
  kUnauthenticated,   // no or bad credentials (401)
  kForbidden,         // authenticated but not allowed (403)
  kNotFound,          // absent, or belongs to another hospital (404)
  kMethodNotAllowed,  // the route exists, not for this method (405)
  kConflict,          // clashes with existing state (409)
  kPayloadTooLarge,   // request body over the limit (413)
  kUnsupportedMediaType,  // request body of the wrong Content-Type (415)
  kTooManyRequests,   // rate limit or concurrency cap reached (429)
  kUnavailable,       // a dependency (database, PACS, audit) is down (503)
  kInternal,          // a bug or an unexpected fault (500)
};

// The table row of one code: its stable wire name and HTTP status.
struct ErrorCodeInfo {
  std::string_view name;  // e.g. "invalid_input", used in JSON bodies
  int http_status;
};
const ErrorCodeInfo& Describe(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  int http_status() const { return Describe(code_).http_status; }
  std::string_view name() const { return Describe(code_).name; }

 private:
  ErrorCode code_;
  std::string message_;
};

inline Error InvalidInput(std::string m) { return {ErrorCode::kInvalidInput, std::move(m)}; }
inline Error NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Error Forbidden(std::string m) { return {ErrorCode::kForbidden, std::move(m)}; }
inline Error Unauthenticated(std::string m) { return {ErrorCode::kUnauthenticated, std::move(m)}; }
inline Error Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
inline Error Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }

// Thrown only for request-fatal errors; caught once, at the HTTP or CLI boundary.
class ErrorException : public std::exception {
 public:
  explicit ErrorException(Error error) : error_(std::move(error)) {}
  const Error& error() const { return error_; }
  const char* what() const noexcept override { return error_.message().c_str(); }

 private:
  Error error_;
};

// Either a value or an Error. Requires: value() only when ok(), error() only when !ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const { return std::get<1>(v_); }

  // The value, or throws ErrorException: for callers where failure aborts the request.
  T ValueOrThrow() && {
    if (!ok()) throw ErrorException(error());
    return std::get<0>(std::move(v_));
  }

 private:
  std::variant<T, Error> v_;
};

// Success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design
  static Status Ok() { return {}; }

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }
  void ThrowIfError() const {
    if (error_) throw ErrorException(*error_);
  }

 private:
  std::optional<Error> error_;
};

}  // namespace pacsport
