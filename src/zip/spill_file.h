// SpillFile: bytes appended by a long export that must be kept until its end (the
// ZIP central directory, the checksums, the instances' preview outcomes): held in
// memory up to a limit, then moved to an unnamed temporary file (O_TMPFILE, gone when
// closed, even after a crash) to which later appends go, buffered by 64 KiB. Reading
// starts over from the beginning, in order, as often as needed, and may be
// interleaved with appends (it sees what was appended before).
//
// Errors: kUnavailable when the file cannot be created (at the append that passes the
// limit), written (disk full) or read. Not thread-safe: one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace pacsport::zip {

class SpillFile {
 public:
  // Empty; past `memory_bytes`, in a file in `directory` (empty: the system's
  // temporary directory).
  explicit SpillFile(std::size_t memory_bytes = 0, std::filesystem::path directory = {})
      : memory_bytes_(memory_bytes), directory_(std::move(directory)) {}
  SpillFile(SpillFile&& other) noexcept;
  SpillFile& operator=(SpillFile&& other) noexcept;
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;
  ~SpillFile();

  Status Append(std::string_view bytes);
  // Bytes appended so far.
  std::uint64_t size() const { return size_; }
  // True once the bytes went to a file.
  bool spilled() const { return fd_ >= 0; }

  // Calls `chunk` with every byte appended so far, from the first, in pieces of at
  // most `chunk_bytes`; stops at its first error and returns it.
  Status ForEachChunk(std::size_t chunk_bytes,
                      const std::function<Status(std::string_view)>& chunk);
  // Reads `size` bytes at `offset` into `out`; kInternal past the end.
  Status ReadAt(std::uint64_t offset, std::size_t size, std::string& out);

 private:
  Status Flush();

  std::size_t memory_bytes_;
  std::filesystem::path directory_;
  int fd_ = -1;
  std::uint64_t size_ = 0;     // appended, buffered bytes included
  std::uint64_t flushed_ = 0;  // on disk
  std::string buffer_;         // appended, not yet written (all of them until spilled)
};

// Length-prefixed records over a SpillFile: written in order, then read back in the
// same order by a RecordReader. Not thread-safe.
class RecordSpill {
 public:
  explicit RecordSpill(std::size_t memory_bytes = 0) : file_(memory_bytes) {}

  Status Append(std::string_view record);
  std::uint64_t count() const { return count_; }

  // Reads the records from the first, in order.
  class Reader {
   public:
    // The next record; nullopt after the last.
    Result<std::optional<std::string>> Next();

   private:
    friend class RecordSpill;
    explicit Reader(RecordSpill& spill) : spill_(spill) {}
    RecordSpill& spill_;
    std::uint64_t offset_ = 0;
    std::string chunk_;  // read ahead from the file
    std::uint64_t chunk_offset_ = 0;
  };
  Reader Read() { return Reader(*this); }

 private:
  SpillFile file_;
  std::uint64_t count_ = 0;
};

}  // namespace pacsport::zip
