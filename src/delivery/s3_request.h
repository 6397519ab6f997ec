// The S3 REST dialect, apart from any network: where a bucket and its objects are
// addressed, how a query string is written so that it signs (libcurl's SigV4 signs the
// query as written, so it must already be sorted and encoded the AWS way), the
// checksums of a part, the XML of a completion, and how S3's XML answers read.
// Values only; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "delivery/http_call.h"

namespace pacsport::delivery {

enum class S3Addressing {
  kPath,     // ENDPOINT/BUCKET/KEY (emulators, most S3-compatible stores)
  kVirtual,  // SCHEME://BUCKET.HOST/KEY (AWS's default)
};

// A bucket behind an endpoint. `endpoint` is "http(s)://host[:port]" without a
// trailing slash (ParseS3Endpoint makes it so).
struct S3Bucket {
  std::string endpoint;
  std::string bucket;
  S3Addressing addressing = S3Addressing::kPath;

  // The bucket's URL (no trailing slash unless path-style needs none) plus `query`.
  std::string BucketUrl(const std::string& query = "") const;
  // An object's URL: `key` is encoded segment by segment, keeping '/'.
  std::string ObjectUrl(const std::string& key, const std::string& query = "") const;
};

// "http(s)://host[:port]" with an optional trailing '/', nothing else (no user, path,
// query); the endpoint without the slash, or kInvalidInput saying what is wrong.
Result<std::string> ParseS3Endpoint(const std::string& url);
// S3's bucket naming rules (3 to 63 of a-z 0-9 . -, a letter or digit at each end, no
// "..", not an IPv4 address); an explanation of the broken rule, or nullopt.
std::optional<std::string> S3BucketNameProblem(const std::string& name);

// AWS's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ as %XX (upper-case hex);
// '/' kept when `keep_slash`.
std::string AwsUriEncode(std::string_view text, bool keep_slash);
// "a=1&b=&c=x%2Fy": the parameters encoded, then sorted by name and value. A
// parameter without value is still written "name=" (libcurl signs "uploads" as
// written, and S3 signs it as "uploads=").
std::string CanonicalQuery(std::vector<std::pair<std::string, std::string>> parameters);

// The digests S3 checks a body against.
struct BodyDigests {
  std::string sha256_hex;  // x-amz-content-sha256 (signed; S3 refuses a body that differs)
  std::string md5_base64;  // Content-MD5 (S3 refuses a body that differs)
  std::string md5_hex;     // what a plain (not SSE-KMS) S3 answers as the ETag
};
BodyDigests DigestOf(std::string_view body);
// Reads the range with pread; kInternal when the file cannot be read.
Result<BodyDigests> DigestOf(const FileRange& range);

// The body of CompleteMultipartUpload: the parts numbered 1.. in order with their ETags.
std::string CompleteMultipartXml(const std::vector<std::string>& etags);

// The text of the first element <name>…</name> of `xml`, entities decoded; nullopt
// when there is none. Enough for S3's flat answers (UploadId, ETag, Code, Message).
std::optional<std::string> XmlElementText(std::string_view xml, std::string_view name);

// The Error of an S3 answer that is not a success: `what` (the operation, no secret)
// then the status, S3's error code and message. 401 and 403 are kForbidden; 408,
// 429 and 5xx kUnavailable (worth a retry); any other status kInvalidInput.
Error S3Failure(const std::string& what, const HttpAnswer& answer);

}  // namespace pacsport::delivery
