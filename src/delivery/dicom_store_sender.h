// The "dicom" destination kind: instances sent to another PACS over the DICOM upper
// layer with C-STORE (DCMTK's dcmnet), verified with C-FIND.
//
// settings: {"aeTitle": the peer's AE title, "host", "port": 1-65535,
//            "callingAeTitle": ours (default "PACSPORT"), "tls": bool (default false),
//            "timeoutSeconds": 1-3600 (default 30)}
// secrets:  none, or with tls {"caCertificate": PEM} to trust a private CA.
// Each instance is offered in its stored transfer syntax first and sent unchanged when
// the peer accepts it; otherwise transcoded losslessly (never lossy) to one the peer
// accepts, and reported as transcoded.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "delivery/destination_kinds.h"
#include "delivery/instance_sender.h"

namespace pacsport::delivery {

Result<std::unique_ptr<InstanceSender>> MakeDicomStoreSender(const nlohmann::json& settings,
                                                             const nlohmann::json& secrets,
                                                             const SenderContext& context);

}  // namespace pacsport::delivery
