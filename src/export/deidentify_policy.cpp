#include "export/deidentify_policy.h"

namespace pacsport {

const std::set<Role>& DeidentifyPolicy::For(const std::string& hospital_name) const {
  const auto own = by_hospital.find(hospital_name);
  return own != by_hospital.end() ? own->second : default_roles;
}

Status CheckDeidentifyPolicy(const DeidentifyPolicy& policy, const Principal& principal,
                             const ExportRequest& request) {
  if (request.options.deidentify ||
      policy.For(principal.hospital_name).count(principal.role) == 0) {
    return Status::Ok();
  }
  return Forbidden("the de-identification policy of " + principal.hospital_name +
                   " ([deidentify] roles) lets role " + std::string(RoleName(principal.role)) +
                   " receive de-identified data only: ask with deidentify and a project");
}

}  // namespace pacsport
