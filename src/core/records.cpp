#include "core/records.h"

namespace pacsport {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kUser:
      return "user";
    case Role::kAdmin:
      return "admin";
    case Role::kAi:
      return "ai";
    case Role::kResearcher:
      return "researcher";
  }
  return "user";
}

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "user") return Role::kUser;
  if (name == "admin") return Role::kAdmin;
  if (name == "ai") return Role::kAi;
  if (name == "researcher") return Role::kResearcher;
  return std::nullopt;
}

}  // namespace pacsport
