// Azure Blob storage destinations ("azure-blob"): an archive becomes a block blob
// named ObjectName(prefix, archive) in one container.
//
// Settings: `endpoint` the account's Blob service URL (https://ACCOUNT.blob.core.windows.net,
// or an emulator's http://127.0.0.1:10000/devstoreaccount1), `account` (required with
// an account key), `container` (required; 3 to 63 lower-case letters, digits and single
// hyphens, starting and ending with a letter or digit), `prefix` (optional, put before
// every blob name), `blockSizeMiB` (1 to 4000, default 16). Secrets: exactly one of
// `accountKey` (the account's base64 key: Shared Key authorization) or `sasToken` (a
// shared access signature query string; sending needs its permissions c and w, removing
// a failed upload d, the test action l).
//
// Send: an archive up to one block goes in one Put Blob; a larger one as Put Block
// calls of blockSizeMiB, each streamed from the file with its Content-MD5 (the
// service checks it) and retried by itself (context.retry), then one Put Block List
// that commits them. The blob carries the archive's SHA-256 as metadata
// (x-ms-meta-sha256). Only a committed block list or a Put Blob makes a blob: blocks
// uploaded before a failure or a stop stay uncommitted, invisible as a blob (a listing
// shows them only when asked for uncommitted blobs), and Azure garbage-collects them
// when no Put Block or Put Block List has reached that blob name for a week. When the
// committing call itself fails without a definite answer (Azure may have committed),
// the blob of that name is deleted, so that a failed job leaves no blob.
// Errors: 401/403 kForbidden, other 4xx kInvalidInput (both name Azure's error code,
// e.g. ContainerNotFound), 408/429/5xx, Md5Mismatch (a body changed on the way) and
// network failures kUnavailable (retried). Neither the key nor the SAS token appears
// in an error or a log.
//
// Check (the test action) lists at most one blob of the container: it proves the
// endpoint, the credentials and the container, and changes nothing.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "delivery/archive_sender.h"
#include "delivery/destination_kinds.h"

namespace pacsport::delivery {

// kInvalidInput naming the first bad or unknown key (destination_kinds.h).
Result<std::unique_ptr<ArchiveSender>> MakeAzureBlobSender(const nlohmann::json& settings,
                                                           const nlohmann::json& secrets,
                                                           const SenderContext& context);

}  // namespace pacsport::delivery
