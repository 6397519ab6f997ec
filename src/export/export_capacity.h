// ExportCapacity: how many exports may run at once, in total and per hospital and per
// user, so that one user (or one hospital) holding slow downloads cannot take every
// export slot of the server.
//
// A user over their share, or a hospital over its share, is refused with
// kTooManyRequests (429: that caller should retry later); a server at its total cap
// with kUnavailable (503). Nobody waits: the answer is immediate. Thread-safe. The
// capacity must outlive its grants.
#pragma once

#include <optional>

#include "core/concurrency_limit.h"
#include "core/error.h"
#include "core/keyed_concurrency_limit.h"
#include "core/records.h"

namespace pacsport {

struct ExportShares {
  int max_concurrent = 4;    // exports running on the server; >= 1
  int max_per_hospital = 3;  // of them, by the users of one hospital; >= 1
  int max_per_user = 2;      // of them, by one user; >= 1
};

class ExportCapacity {
 public:
  // The right to run one export, given back when destroyed.
  struct Grant {
    KeyedConcurrencyLimit::Slot user;
    KeyedConcurrencyLimit::Slot hospital;
    ConcurrencyLimit::Slot total;
  };

  explicit ExportCapacity(const ExportShares& shares)
      : per_user_(shares.max_per_user),
        per_hospital_(shares.max_per_hospital),
        total_(shares.max_concurrent) {}

  // A grant for one export of `principal`, or the refusal (kTooManyRequests for a
  // user or hospital over its share, kUnavailable for a full server).
  Result<Grant> TryAcquire(const Principal& principal);

  // Whether TryAcquire would grant `principal` an export now (the same refusals),
  // without taking anything: for a download link, refused when made rather than
  // when used. The answer may be stale by the time the link is used.
  Status Check(const Principal& principal) const;

 private:
  KeyedConcurrencyLimit per_user_;      // keyed by username
  KeyedConcurrencyLimit per_hospital_;  // keyed by hospital id
  ConcurrencyLimit total_;
};

}  // namespace pacsport
