// ProjectKeys: the server's de-identification secret, from which each research
// project's key is derived (HMAC-SHA256 over the hospital and the project), so that
// projects never share pseudonyms, one hospital's project never links to another's,
// and no key or mapping ever leaves the server.
//
// The secret is 32 random bytes, its own key file ("deidentify " and 64 hex digits,
// mode 0600, made on first use; [deidentify] key_file) or PACSPORT_DEIDENTIFY_KEY
// (64 hex digits): apart from the key sealing destinations' secrets, so rotating that
// one does not break the linkage of a project's exports (docs/decisions/0016).
// Thread-safe: an immutable value.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/error.h"
#include "deid/pseudonyms.h"

namespace pacsport::deid {

class ProjectKeys {
 public:
  // kInvalidInput unless `hex` is 64 hexadecimal digits.
  static Result<ProjectKeys> FromHex(std::string_view hex);
  // Reads the key file at `path`, creating it with a new secret when absent;
  // kUnavailable when it cannot be read or made, kInvalidInput when it is malformed.
  static Result<ProjectKeys> LoadOrCreate(const std::filesystem::path& path);

  // The key of `project` of the hospital named `hospital`.
  ProjectKey For(std::string_view hospital, std::string_view project) const;

 private:
  explicit ProjectKeys(const ProjectKey& secret) : secret_(secret) {}
  ProjectKey secret_;
};

}  // namespace pacsport::deid
