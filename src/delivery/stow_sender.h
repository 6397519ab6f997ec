// The "dicomweb" destination kind: instances sent to another PACS with DICOMweb
// STOW-RS (multipart/related; type="application/dicom", in batches), verified with
// QIDO-RS.
//
// settings: {"url": the DICOMweb base URL (http or https), "auth": "none" | "basic" |
//            "bearer" (default "none"), "batchInstances": 1-1000 (default 50),
//            "batchBytes": at most so many bytes per request, 1 to 1 GiB (default 64 MiB;
//            a larger instance goes alone)}
// secrets:  {"username", "password"} with basic, {"token"} with bearer.
// Each response's Failed SOP Sequence (with its Failure Reason) marks those instances
// refused; a batch the peer cannot take at all (5xx, unreachable) is retried whole.
// Batches never span two studies: each study is sent and verified before the next.
// An instance the answer does not list is sent again alone, and refused if still
// unlisted; what the peer holds before (QIDO-RS) is not sent, and an instance it
// acknowledged but does not hold afterwards is refused (decision 0015).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "delivery/destination_kinds.h"
#include "delivery/instance_sender.h"

namespace pacsport::delivery {

Result<std::unique_ptr<InstanceSender>> MakeStowSender(const nlohmann::json& settings,
                                                       const nlohmann::json& secrets,
                                                       const SenderContext& context);

}  // namespace pacsport::delivery
