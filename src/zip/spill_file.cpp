#include "zip/spill_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace pacsport::zip {
namespace {

constexpr std::size_t kBufferBytes = std::size_t{64} << 10;

Error SpillError(const std::string& what) {
  return Unavailable(what + ": " + std::strerror(errno));
}

}  // namespace

SpillFile::SpillFile(SpillFile&& other) noexcept
    : memory_bytes_(other.memory_bytes_),
      directory_(std::move(other.directory_)),
      fd_(std::exchange(other.fd_, -1)),
      size_(other.size_),
      flushed_(other.flushed_),
      buffer_(std::move(other.buffer_)) {}

SpillFile& SpillFile::operator=(SpillFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    memory_bytes_ = other.memory_bytes_;
    directory_ = std::move(other.directory_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
    flushed_ = other.flushed_;
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

SpillFile::~SpillFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status SpillFile::Append(std::string_view bytes) {
  buffer_.append(bytes);
  size_ += bytes.size();
  if (fd_ < 0 && buffer_.size() <= memory_bytes_) return Status::Ok();
  if (fd_ < 0) {
    std::error_code error;
    std::filesystem::path directory = directory_;
    if (directory.empty()) directory = std::filesystem::temp_directory_path(error);
    if (error) return Unavailable("no temporary directory: " + error.message());
    fd_ = ::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd_ < 0) return SpillError("cannot create a temporary file in " + directory.string());
    // The memory held so far goes too; then appends are buffered by kBufferBytes.
    memory_bytes_ = 0;
    return Flush();
  }
  if (buffer_.size() >= kBufferBytes) return Flush();
  return Status::Ok();
}

Status SpillFile::Flush() {
  if (fd_ < 0) return Status::Ok();
  std::string_view rest = buffer_;
  while (!rest.empty()) {
    const ssize_t n = ::pwrite(fd_, rest.data(), rest.size(), static_cast<off_t>(flushed_));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return SpillError("cannot write a temporary file");
    rest.remove_prefix(static_cast<size_t>(n));
    flushed_ += static_cast<std::uint64_t>(n);
  }
  buffer_.clear();
  return Status::Ok();
}

Status SpillFile::ReadAt(std::uint64_t offset, std::size_t size, std::string& out) {
  if (offset + size > size_) return Internal("read past the end of a temporary file");
  if (fd_ < 0) {
    out.assign(buffer_, static_cast<std::size_t>(offset), size);
    return Status::Ok();
  }
  if (offset + size > flushed_) {
    if (Status s = Flush(); !s.ok()) return s;
  }
  out.resize(size);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n =
        ::pread(fd_, out.data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return SpillError("cannot read a temporary file");
    done += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

Status SpillFile::ForEachChunk(std::size_t chunk_bytes,
                               const std::function<Status(std::string_view)>& chunk) {
  std::string piece;
  for (std::uint64_t offset = 0; offset < size_;) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_bytes, size_ - offset));
    if (Status s = ReadAt(offset, n, piece); !s.ok()) return s;
    if (Status s = chunk(piece); !s.ok()) return s;
    offset += n;
  }
  return Status::Ok();
}

Status RecordSpill::Append(std::string_view record) {
  const auto size = static_cast<std::uint32_t>(record.size());
  if (size != record.size()) return Internal("spilled record over 4 GiB");
  char prefix[4];
  for (int i = 0; i < 4; ++i) prefix[i] = static_cast<char>((size >> (8 * i)) & 0xff);
  if (Status s = file_.Append(std::string_view(prefix, 4)); !s.ok()) return s;
  if (Status s = file_.Append(record); !s.ok()) return s;
  ++count_;
  return Status::Ok();
}

Result<std::optional<std::string>> RecordSpill::Reader::Next() {
  SpillFile& file = spill_.file_;
  // Makes [offset_, offset_ + n) available in chunk_, reading ahead.
  auto need = [&](std::uint64_t n) -> Status {
    if (offset_ >= chunk_offset_ && offset_ + n <= chunk_offset_ + chunk_.size()) {
      return Status::Ok();
    }
    const std::uint64_t size = std::max<std::uint64_t>(n, kBufferBytes);
    chunk_offset_ = offset_;
    return file.ReadAt(offset_, static_cast<std::size_t>(std::min(size, file.size() - offset_)),
                       chunk_);
  };
  if (offset_ >= file.size()) return std::optional<std::string>();
  if (offset_ + 4 > file.size()) return Internal("a temporary file's record is cut short");
  if (Status s = need(4); !s.ok()) return s.error();
  const auto* p = reinterpret_cast<const unsigned char*>(chunk_.data() + (offset_ - chunk_offset_));
  const std::uint32_t size = p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint32_t{p[3]} << 24);
  offset_ += 4;
  if (offset_ + size > file.size()) return Internal("a temporary file's record is cut short");
  if (Status s = need(size); !s.ok()) return s.error();
  std::string record = chunk_.substr(static_cast<std::size_t>(offset_ - chunk_offset_), size);
  offset_ += size;
  return std::optional<std::string>(std::move(record));
}

}  // namespace pacsport::zip
