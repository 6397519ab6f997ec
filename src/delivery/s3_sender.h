// Delivery to an S3-compatible object store (AWS S3, MinIO, Ceph RGW, …), signed with
// AWS Signature Version 4 through libcurl.
//
// Settings: endpoint ("http(s)://host[:port]"; default https://s3.REGION.amazonaws.com),
// region (required), bucket (required), prefix (optional, put before every key),
// addressing ("path" or "virtual"; default "path" with an endpoint, else "virtual"),
// accessKeyId (required), partSizeMiB (5..5120, default 16).
// Secrets: secretAccessKey (required), sessionToken (optional, temporary credentials).
//
// An archive of at most one part goes up in one PUT; a larger one as a multipart
// upload whose parts are read from the file as they are sent (memory stays at libcurl's
// buffers whatever the archive's size). Every body carries its SHA-256 (signed) and
// Content-MD5, and the ETag answered for it is checked against its MD5 (unless the
// store encrypts with SSE-KMS, whose ETags are not MD5s), so a body changed on the way
// is refused or noticed. Each request is retried on kUnavailable (context.retry). On a
// final failure or a stop, a multipart upload is aborted and a single PUT's object
// deleted, both best effort and retried, so no partial object stays. The object is
// named ObjectName(prefix, archive) and carries the archive's SHA-256 as
// x-amz-meta-sha256.
//
// Check lists the bucket with max-keys=0: it proves the endpoint,
// the credentials and the bucket (it needs s3:ListBucket) and leaves nothing behind.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "delivery/archive_sender.h"
#include "delivery/destination_kinds.h"

namespace pacsport::delivery {

// kInvalidInput naming the first setting or secret that is missing, unknown or wrong.
Result<std::unique_ptr<ArchiveSender>> MakeS3Sender(const nlohmann::json& settings,
                                                    const nlohmann::json& secrets,
                                                    const SenderContext& context);

}  // namespace pacsport::delivery
