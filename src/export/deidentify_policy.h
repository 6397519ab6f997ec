// DeidentifyPolicy: the roles that only ever receive de-identified data, per hospital.
// An export by such a role that does not ask for de-identification is refused
// (kForbidden naming the policy) rather than de-identified under a default project:
// the researcher learns at once that a project is needed, and no pseudonym space is
// made that nobody chose (docs/decisions/0016). Values only; thread-safe to read.
#pragma once

#include <map>
#include <set>
#include <string>

#include "core/error.h"
#include "core/records.h"
#include "export/export_request.h"

namespace pacsport {

struct DeidentifyPolicy {
  std::set<Role> default_roles = {Role::kResearcher};  // every hospital's
  std::map<std::string, std::set<Role>> by_hospital;   // hospital name → its own

  // The roles of the hospital named `hospital_name`.
  const std::set<Role>& For(const std::string& hospital_name) const;
};

// kForbidden naming the policy when `principal`'s role must receive de-identified data
// only and `request` does not ask for it.
Status CheckDeidentifyPolicy(const DeidentifyPolicy& policy, const Principal& principal,
                             const ExportRequest& request);

}  // namespace pacsport
