#include "core/error.h"

namespace pacsport {

const ErrorCodeInfo& Describe(ErrorCode code) {
  static const ErrorCodeInfo kInvalidInputInfo{"invalid_input", 400};
  static const ErrorCodeInfo kUnauthenticatedInfo{"unauthenticated", 401};
  static const ErrorCodeInfo kForbiddenInfo{"forbidden", 403};
  static const ErrorCodeInfo kNotFoundInfo{"not_found", 404};
  static const ErrorCodeInfo kMethodNotAllowedInfo{"method_not_allowed", 405};
  static const ErrorCodeInfo kConflictInfo{"conflict", 409};
  static const ErrorCodeInfo kPayloadTooLargeInfo{"payload_too_large", 413};
  static const ErrorCodeInfo kUnsupportedMediaTypeInfo{"unsupported_media_type", 415};
  static const ErrorCodeInfo kTooManyRequestsInfo{"too_many_requests", 429};
  static const ErrorCodeInfo kUnavailableInfo{"unavailable", 503};
  static const ErrorCodeInfo kInternalInfo{"internal", 500};
  switch (code) {
    case ErrorCode::kInvalidInput: return kInvalidInputInfo;
    case ErrorCode::kUnauthenticated: return kUnauthenticatedInfo;
    case ErrorCode::kForbidden: return kForbiddenInfo;
    case ErrorCode::kNotFound: return kNotFoundInfo;
    case ErrorCode::kMethodNotAllowed: return kMethodNotAllowedInfo;
    case ErrorCode::kConflict: return kConflictInfo;
    case ErrorCode::kPayloadTooLarge: return kPayloadTooLargeInfo;
    case ErrorCode::kUnsupportedMediaType: return kUnsupportedMediaTypeInfo;
    case ErrorCode::kTooManyRequests: return kTooManyRequestsInfo;
    case ErrorCode::kUnavailable: return kUnavailableInfo;
    case ErrorCode::kInternal: return kInternalInfo;
  }
  return kInternalInfo;
}

}  // namespace pacsport
