#include "orthanc/orthanc_source.h"

#include "orthanc/orthanc_id.h"

namespace pacsport {

Result<std::string> OrthancSource::FilePath(const InstanceLocation& location) const {
  if (location.source != settings_.name || !IsOrthancId(location.key)) {
    return InvalidInput("not an instance of PACS source '" + settings_.name + "'");
  }
  return "/instances/" + location.key + "/file";
}

Error OrthancSource::ReadError(const Error& error, const InstanceLocation& location) const {
  if (error.code() != ErrorCode::kNotFound) {
    return Error(error.code(), "PACS source '" + settings_.name + "': " + error.message());
  }
  return NotFound("Orthanc instance " + location.key + " is no longer in PACS source '" +
                  settings_.name + "': it was deleted there after pacsport indexed it");
}

Result<std::string> OrthancSource::Read(const InstanceLocation& location) {
  auto path = FilePath(location);
  if (!path.ok()) return path.error();
  auto bytes = client_.Get(*path);
  if (!bytes.ok()) return ReadError(bytes.error(), location);
  return bytes;
}

Status OrthancSource::ReadChunked(const InstanceLocation& location, size_t chunk_size,
                                  const ChunkConsumer& consume) {
  auto path = FilePath(location);
  if (!path.ok()) return path.error();
  Status consumer_status;  // the consumer's own errors pass unchanged
  Status status = client_.GetChunked(*path, chunk_size, [&](std::string_view piece) {
    consumer_status = consume(piece);
    return consumer_status;
  });
  if (!consumer_status.ok()) return consumer_status;
  if (!status.ok()) return ReadError(status.error(), location);
  return status;
}

Status OrthancSource::CheckReachable() {
  auto system = client_.Get("/system");
  if (!system.ok()) {
    return Unavailable("PACS source '" + settings_.name + "' is unreachable (" +
                       system.error().message() + ")");
  }
  return Status::Ok();
}

}  // namespace pacsport
