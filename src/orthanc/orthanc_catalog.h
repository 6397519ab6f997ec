// OrthancCatalog: what one Orthanc says it holds, read over its REST API: the change
// feed (its last sequence number and the instances it reports as new), the listing of
// every instance, and one instance's stored file. Orthanc answers are checked for
// their shape; an unexpected one is kInternal, naming the request. Other errors are
// RestClient's (kUnavailable, kNotFound, ...).
//
// The listing (/instances?expand&since=&limit=) pages by position, not by a stable
// key (Orthanc 1.10 offers none): an instance deleted while it runs moves the later
// ones a place back, so one of them may be missed, and instances added may or may not
// be listed. A listing proves presence, never absence: ask Describe before taking an
// unlisted instance as deleted.
//
// Borrows the client; thread-safe as the client is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "orthanc/rest_client.h"

namespace pacsport {

// One instance as Orthanc describes it.
struct OrthancInstance {
  std::string id;         // Orthanc's instance ID
  std::string file_uuid;  // its stored DICOM file; a new UUID whenever it is stored again
  std::int64_t size = 0;  // that file's size in bytes
};

class OrthancCatalog {
 public:
  // Requires page_size >= 1: IDs or changes asked for per request.
  OrthancCatalog(RestClient& client, int page_size) : client_(client), page_size_(page_size) {}

  // The feed's last sequence number.
  Result<std::int64_t> LastChange();
  // The IDs of the instances the feed reports as new after change `since`, in feed
  // order, and the feed's last change read.
  Status ReadNewInstances(std::int64_t since, std::vector<std::string>& ids, std::int64_t& last);
  // Every instance the listing gives (see above: it may miss some).
  Result<std::vector<OrthancInstance>> ListInstances();
  // The instance `id`; nullopt when Orthanc answers that it holds none (404).
  Result<std::optional<OrthancInstance>> Describe(const std::string& id);

 private:
  RestClient& client_;
  const int page_size_;
};

}  // namespace pacsport
