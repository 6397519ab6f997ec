// An export job as the API shows it: GET /api/export/jobs and a schedule's runs.
#pragma once

#include <nlohmann/json.hpp>

#include "index/index.h"

namespace pacsport::http {

nlohmann::ordered_json JobJson(const JobRecord& job);

}  // namespace pacsport::http
