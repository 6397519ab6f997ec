// SealedObject: one object's bytes in an anonymous in-memory file (memfd), sealed so
// that nobody can change them any more, to be shared with preview workers by
// passing the descriptor: every worker maps the same pages read-only instead of
// receiving its own copy over the socket. A 92 MB cine split over two workers then
// costs one copy instead of six.
// Not thread-safe to create; the descriptor may be sent from any thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/error.h"

namespace pacsport::preview {

class SealedObject {
 public:
  // kUnavailable when the kernel refuses (out of memory).
  static Result<SealedObject> Create(std::string_view bytes);
  SealedObject(SealedObject&& other) noexcept;
  SealedObject& operator=(SealedObject&&) = delete;
  SealedObject(const SealedObject&) = delete;
  ~SealedObject();

  int fd() const { return fd_; }
  uint64_t size() const { return size_; }

 private:
  SealedObject(int fd, uint64_t size) : fd_(fd), size_(size) {}
  int fd_;
  uint64_t size_;
};

// A read-only mapping of a SealedObject received by a worker. Empty objects map to
// an empty view.
class MappedObject {
 public:
  // Takes ownership of `fd`. kInvalidInput when it cannot be mapped.
  static Result<MappedObject> Map(int fd, uint64_t size);
  MappedObject(MappedObject&& other) noexcept;
  MappedObject& operator=(MappedObject&&) = delete;
  MappedObject(const MappedObject&) = delete;
  ~MappedObject();

  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }

 private:
  MappedObject(void* data, uint64_t size) : data_(data), size_(size) {}
  void* data_;
  uint64_t size_;
};

}  // namespace pacsport::preview
