#include "storage/source_router.h"

#include <algorithm>
#include <cassert>

namespace pacsport {

void SourceRouter::Add(const std::string& name, DicomSource& source) {
  [[maybe_unused]] const bool added = sources_.emplace(name, &source).second;
  assert(added);
}

Result<DicomSource*> SourceRouter::Find(const std::string& name) const {
  const auto found = sources_.find(name);
  if (found == sources_.end()) {
    return Unavailable("source '" + name + "' is not configured");
  }
  return found->second;
}

Result<std::string> SourceRouter::Read(const InstanceLocation& location) {
  auto source = Find(location.source);
  if (!source.ok()) return source.error();
  return (*source)->Read(location);
}

Status SourceRouter::ReadChunked(const InstanceLocation& location, size_t chunk_size,
                                 const ChunkConsumer& consume) {
  auto source = Find(location.source);
  if (!source.ok()) return source.error();
  return (*source)->ReadChunked(location, chunk_size, consume);
}

Status SourceRouter::CheckReachable() {
  for (const auto& [name, source] : sources_) {
    if (Status status = source->CheckReachable(); !status.ok()) return status;
  }
  return Status::Ok();
}

int SourceRouter::WaitingReads(const std::set<std::string>& names) const {
  int most = 0;
  for (const std::string& name : names) {
    auto source = Find(name);
    if (source.ok()) most = std::max(most, (*source)->WaitingReads());
  }
  return most;
}

Status SourceRouter::CheckReachable(const std::set<std::string>& names) {
  for (const std::string& name : names) {
    auto source = Find(name);
    if (!source.ok()) return source.error();
    if (Status status = (*source)->CheckReachable(); !status.ok()) return status;
  }
  return Status::Ok();
}

}  // namespace pacsport
