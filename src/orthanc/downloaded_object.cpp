#include "orthanc/downloaded_object.h"

#include <unistd.h>

#include <filesystem>

namespace pacsport {

Status DownloadedObject::Append(std::string_view chunk) {
  if (!spill_ && memory_.size() + chunk.size() > memory_limit_) {
    auto writer = preview::SharedObjectWriter::Create(std::filesystem::temp_directory_path());
    if (!writer.ok()) return writer.error();
    spill_.emplace(std::move(*writer));
    if (Status s = spill_->Append(memory_); !s.ok()) return s;
    std::string().swap(memory_);
  }
  if (spill_) return spill_->Append(chunk);
  memory_.append(chunk);
  return Status::Ok();
}

Result<std::string_view> DownloadedObject::Finish() {
  if (!spill_) return std::string_view(memory_);
  auto object = spill_->Finish();
  if (!object.ok()) return object.error();
  const int fd = ::dup(object->fd());
  if (fd < 0) return Unavailable("cannot map a downloaded file");
  auto mapped = preview::MappedObject::Map(fd, object->size());
  if (!mapped.ok()) return mapped.error();
  mapped_.emplace(std::move(*mapped));
  return mapped_->bytes();
}

}  // namespace pacsport
