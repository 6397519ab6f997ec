// JobArchiveFile: where an export job writes its archive. The bytes go to
// DIR/ID.ATTEMPT.partial (created new, mode 0600; one per attempt, so that a replica
// that lost the job to another never writes into the winner's file) while they are
// produced; Commit fsyncs
// them, renames the file to DIR/ID.zip (or .json) and fsyncs DIR, so a finished
// archive is complete on disk before anyone is told it exists, and an archive under
// its final name is never partial. Dropped without Commit, the partial file is
// removed: a failed, cancelled or interrupted job leaves nothing behind (and the
// replica that takes a job over clears, with RemovePartials, what a killed one left).
//
// Write fails with kUnavailable when the disk is full or the archive would grow
// past `max_bytes`, and never writes again. One thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/byte_sink.h"
#include "core/digest.h"
#include "core/error.h"

namespace pacsport {

class JobArchiveFile : public ByteSink {
 public:
  // Creates DIR/ID.ATTEMPT.partial. `extension` is "zip" or "json".
  static Result<std::unique_ptr<JobArchiveFile>> Create(const std::filesystem::path& dir,
                                                        const std::string& id, std::int64_t attempt,
                                                        const std::string& extension,
                                                        std::uint64_t max_bytes);
  ~JobArchiveFile() override;
  JobArchiveFile(const JobArchiveFile&) = delete;
  JobArchiveFile& operator=(const JobArchiveFile&) = delete;

  Status Write(const char* data, size_t size) override;
  // Makes the archive durable under its final name. Call once, after the last Write.
  Status Commit();

  std::uint64_t size() const { return size_; }
  // The SHA-256 of every byte written. Valid after a successful Commit.
  const std::string& sha256() const { return sha256_; }

  // The path of job ID's finished archive in DIR.
  static std::filesystem::path FinalPath(const std::filesystem::path& dir, const std::string& id,
                                         const std::string& extension);
  // Removes every DIR/ID.*.partial (of earlier attempts at job ID); returns how many.
  static int RemovePartials(const std::filesystem::path& dir, const std::string& id);

 private:
  JobArchiveFile(std::filesystem::path dir, std::filesystem::path partial,
                 std::filesystem::path final_path, int fd, std::uint64_t max_bytes);
  Status Flush();

  const std::filesystem::path dir_;
  const std::filesystem::path partial_;
  const std::filesystem::path final_;
  int fd_;
  const std::uint64_t max_bytes_;
  std::uint64_t size_ = 0;
  std::string buffer_;  // writes are gathered into 1 MiB blocks
  Sha256 digest_;
  std::string sha256_;
  bool failed_ = false;
  bool committed_ = false;
};

}  // namespace pacsport
