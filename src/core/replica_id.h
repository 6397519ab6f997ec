// ThisReplicaId: the name of this process among the serve replicas sharing one index
// (docs/decisions/0024): "HOST:PID:RANDOM", made once per process, so that a replica
// restarted on the same host with the same PID is still another replica. It names the
// holder of job and sync leases and the opener of audit records. Thread-safe.
#pragma once

#include <string>

namespace pacsport {

const std::string& ThisReplicaId();

}  // namespace pacsport
