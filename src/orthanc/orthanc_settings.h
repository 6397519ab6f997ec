// OrthancSettings: one configured Orthanc server that pacsport indexes and reads
// DICOM files from. Values only.
#pragma once

#include <chrono>
#include <string>

namespace pacsport {

struct OrthancSettings {
  std::string name;      // the source's name in the index: [a-z0-9_-]{1,32}, not "local"
  std::string url;       // Orthanc's REST root, http:// or https://, no trailing slash
  std::string username;  // HTTP basic authentication; empty: none
  std::string password;
  std::string hospital;   // the hospital every instance of this source belongs to
  int max_in_flight = 4;  // requests to this Orthanc at once, across all users
  std::chrono::milliseconds connect_timeout{2000};
  // A request that receives no byte for this long fails.
  std::chrono::seconds read_timeout{30};
  int retries = 2;                               // extra attempts of a failed idempotent request
  std::chrono::seconds poll_interval{5};         // how often the change feed is read
  std::chrono::seconds reconcile_interval{600};  // how often the full listing runs
  int page_size = 1000;  // instances or changes asked for per listing request
};

}  // namespace pacsport
