// The action the Basic Application Level Confidentiality Profile takes on a standard
// (even-group) attribute under the requested options: PS3.15 Table E.1-1, kept as
// data in confidentiality_profile_table.inc. Thread-safe: immutable tables.
#pragma once

#include <cstdint>
#include <optional>

#include "deid/deidentify_request.h"

namespace pacsport::deid {

enum class Action {
  kDummy,   // D: a non-empty dummy value of the same VR
  kEmpty,   // Z: zero length
  kRemove,  // X
  kKeep,    // K
  kClean,   // C: dates shifted (modified-dates option), text cleaned of identifiers
  kNewUid,  // U: a pseudonymous UID, the same for the same original UID
};

// The action for (group, element) under `request`'s options; nullopt when the table
// does not list it (the attribute is kept, and a sequence's items are still
// processed). Where the table leaves a choice, the attribute stays present when the
// choice allows it, since the profile does not know the IOD and a type 1 attribute
// must keep a value: a dummy when D is allowed ("X/D", "Z/D", "X/Z/D"), else zero
// length ("X/Z"); "X/Z/U*" is a new UID. An option's action, where the table gives
// one, replaces the basic one.
std::optional<Action> ActionFor(std::uint16_t group, std::uint16_t element,
                                const DeidentifyRequest& request);

// How many rows the table has (a test's sanity check against the source).
std::size_t ProfileRowCount();

}  // namespace pacsport::deid
