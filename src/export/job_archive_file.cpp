#include "export/job_archive_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace pacsport {
namespace {

constexpr size_t kBlockBytes = size_t{1} << 20;
constexpr std::string_view kPartialExtension = ".partial";

Error WriteFailure(const std::string& what, int error) {
  if (error == ENOSPC || error == EDQUOT) {
    return Unavailable("the disk holding export job archives is full (" + what + ")");
  }
  return Unavailable(what + ": " + std::strerror(error));
}

Status SyncDirectory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return WriteFailure("opening the jobs directory", errno);
  const int synced = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (synced != 0) return WriteFailure("syncing the jobs directory", error);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<JobArchiveFile>> JobArchiveFile::Create(const std::filesystem::path& dir,
                                                               const std::string& id,
                                                               std::int64_t attempt,
                                                               const std::string& extension,
                                                               std::uint64_t max_bytes) {
  const std::filesystem::path partial =
      dir / (id + "." + std::to_string(attempt) + std::string(kPartialExtension));
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return WriteFailure("creating the job's archive", errno);
  return std::unique_ptr<JobArchiveFile>(
      new JobArchiveFile(dir, partial, FinalPath(dir, id, extension), fd, max_bytes));
}

JobArchiveFile::JobArchiveFile(std::filesystem::path dir, std::filesystem::path partial,
                               std::filesystem::path final_path, int fd, std::uint64_t max_bytes)
    : dir_(std::move(dir)),
      partial_(std::move(partial)),
      final_(std::move(final_path)),
      fd_(fd),
      max_bytes_(max_bytes) {
  buffer_.reserve(kBlockBytes);
}

JobArchiveFile::~JobArchiveFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) {
    std::error_code ignored;
    std::filesystem::remove(partial_, ignored);
  }
}

std::filesystem::path JobArchiveFile::FinalPath(const std::filesystem::path& dir,
                                                const std::string& id,
                                                const std::string& extension) {
  return dir / (id + "." + extension);
}

int JobArchiveFile::RemovePartials(const std::filesystem::path& dir, const std::string& id) {
  int removed = 0;
  std::error_code error;
  const std::string prefix = id + ".";
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (entry.path().extension() == kPartialExtension &&
        entry.path().filename().string().starts_with(prefix) &&
        std::filesystem::remove(entry.path(), error)) {
      ++removed;
    }
  }
  return removed;
}

Status JobArchiveFile::Write(const char* data, size_t size) {
  if (failed_) return Unavailable("the job's archive failed earlier");
  if (size > max_bytes_ - size_) {
    failed_ = true;
    return Error(ErrorCode::kPayloadTooLarge,
                 "the archive would grow past the disk space export jobs may use");
  }
  digest_.Update(data, size);
  size_ += size;
  buffer_.append(data, size);
  if (buffer_.size() >= kBlockBytes) return Flush();
  return Status::Ok();
}

Status JobArchiveFile::Flush() {
  size_t written = 0;
  while (written < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + written, buffer_.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      failed_ = true;
      return WriteFailure("writing the job's archive", errno);
    }
    written += static_cast<size_t>(n);
  }
  buffer_.clear();
  return Status::Ok();
}

Status JobArchiveFile::Commit() {
  if (Status s = Flush(); !s.ok()) return s;
  if (::fsync(fd_) != 0) return WriteFailure("syncing the job's archive", errno);
  ::close(fd_);
  fd_ = -1;
  if (::rename(partial_.c_str(), final_.c_str()) != 0) {
    return WriteFailure("naming the job's archive", errno);
  }
  committed_ = true;
  sha256_ = digest_.FinishHex();
  return SyncDirectory(dir_);
}

}  // namespace pacsport
