// Azure Storage "Shared Key" authorization of a Blob service request: the string to
// sign that Microsoft documents for the Blob service (version 2009-09-19 and later,
// with the empty Content-Length of 2015-02-21 and later), signed with HMAC-SHA256
// under the account key.
//
//   StringToSign = VERB \n Content-Encoding \n Content-Language \n Content-Length \n
//                  Content-MD5 \n Content-Type \n Date \n If-Modified-Since \n
//                  If-Match \n If-None-Match \n If-Unmodified-Since \n Range \n
//                  CanonicalizedHeaders CanonicalizedResource
//
// CanonicalizedHeaders: every x-ms-* header, name in lower case, sorted by name,
// "name:value\n" with the value's surrounding spaces trimmed. CanonicalizedResource:
// "/" + account + the URL's (encoded) path, then for each query parameter sorted by
// lower-case name "\nname:value" with the decoded value. The date travels as x-ms-date,
// so the Date line is empty. Thread-safe: pure functions. The key is never logged.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pacsport::delivery {

// What of a Blob service request the signature covers.
struct AzureSignedParts {
  std::string method;   // "PUT", "GET", …
  std::string account;  // the storage account's name
  std::string path;     // the URL's path as sent, e.g. "/container/blob%20name"
  std::vector<std::pair<std::string, std::string>> query;    // decoded names and values
  std::vector<std::pair<std::string, std::string>> headers;  // as sent, any case
  std::uint64_t content_length = 0;  // of the body; 0 signs as an empty line
};

std::string SharedKeyStringToSign(const AzureSignedParts& parts);
// The header "Authorization: SharedKey account:signature". Requires: `key` is the
// account key's bytes (decoded).
std::string SharedKeyAuthorization(const AzureSignedParts& parts, std::string_view key);

// Standard base64 (RFC 4648 section 4) with padding, as Azure keys, MD5s and block
// ids use it. Decode answers nullopt for anything not canonical padded base64.
std::string Base64Encode(std::string_view bytes);
std::optional<std::string> Base64Decode(std::string_view text);

// The date of an x-ms-date header (RFC 1123, GMT), e.g. "Thu, 03 Dec 2026 20:50:30 GMT".
std::string HttpDate(std::int64_t unix_seconds);

}  // namespace pacsport::delivery
