// SharedObject: one object's bytes behind a read-only file descriptor, to be shared
// with preview workers by passing the descriptor: every worker maps the same pages
// instead of receiving its own copy over the socket (a 92 MB cine split over two
// workers costs one copy instead of six).
//
// Two ways to make one: Copy puts bytes held in memory into an anonymous in-memory
// file (memfd), sealed so that nobody can change them any more; a SharedObjectWriter
// appends the chunks of an object too large to hold to an unnamed temporary file on
// disk (O_TMPFILE: gone when the last descriptor closes, even after a crash), which
// Finish reopens read-only.
// Not thread-safe to create; a finished object's descriptor may be sent from any
// thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "core/error.h"

namespace pacsport::preview {

class SharedObject {
 public:
  // kUnavailable when the kernel refuses (out of memory).
  static Result<SharedObject> Copy(std::string_view bytes);
  SharedObject(SharedObject&& other) noexcept;
  SharedObject& operator=(SharedObject&&) = delete;
  SharedObject(const SharedObject&) = delete;
  ~SharedObject();

  int fd() const { return fd_; }
  uint64_t size() const { return size_; }

 private:
  friend class SharedObjectWriter;
  SharedObject(int fd, uint64_t size) : fd_(fd), size_(size) {}
  int fd_;
  uint64_t size_;
};

class SharedObjectWriter {
 public:
  // An empty temporary file in `directory`. kUnavailable when it cannot be created.
  static Result<SharedObjectWriter> Create(const std::filesystem::path& directory);
  SharedObjectWriter(SharedObjectWriter&& other) noexcept;
  SharedObjectWriter& operator=(SharedObjectWriter&&) = delete;
  SharedObjectWriter(const SharedObjectWriter&) = delete;
  ~SharedObjectWriter();

  // kUnavailable when the disk is full or failing.
  Status Append(std::string_view chunk);
  // The object written so far, read-only. Call once.
  Result<SharedObject> Finish();

 private:
  explicit SharedObjectWriter(int fd) : fd_(fd) {}
  int fd_;
  uint64_t size_ = 0;
};

// A read-only mapping of a SharedObject received by a worker. Empty objects map to
// an empty view.
class MappedObject {
 public:
  // Takes ownership of `fd`. kUnavailable when it cannot be mapped (out of memory).
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
