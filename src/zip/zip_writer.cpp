#include "zip/zip_writer.h"

#include <libdeflate.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <utility>

#include "zip/deflate_stream.h"
#include "zip/entry_name.h"

namespace pacsport::zip {
namespace {

std::optional<int32_t> UnixMtime(SystemTime t) {
  const int64_t seconds = UnixSeconds(t);
  if (seconds < std::numeric_limits<int32_t>::min() ||
      seconds > std::numeric_limits<int32_t>::max()) {
    return std::nullopt;
  }
  return static_cast<int32_t>(seconds);
}

uint32_t UpdateCrc32(uint32_t crc, std::string_view bytes) {
  return static_cast<uint32_t>(libdeflate_crc32(crc, bytes.data(), bytes.size()));
}

}  // namespace

struct ZipWriter::OpenEntry {
  std::string name;
  Method method = Method::kStore;
  uint16_t flags = 0;
  bool zip64 = false;  // announced in the local header: 8-byte data descriptor sizes
  uint64_t offset = 0;
  EntrySizes sizes;                       // running CRC and byte counts
  std::optional<DeflateStream> deflater;  // for kDeflate
};

ZipWriter::ZipWriter(ByteSink& sink, SystemTime modified, ZipWriterOptions options)
    : sink_(sink),
      dos_modified_(ToDosDateTime(modified)),
      unix_modified_(UnixMtime(modified)),
      directory_(options.directory_memory_bytes) {}

ZipWriter::~ZipWriter() = default;

Status ZipWriter::Add(const PreparedEntry& entry) {
  if (Status s = CheckCanStartEntry(entry.name); !s.ok()) return s;
  if (entry.method == Method::kStore && entry.payload.size() != entry.uncompressed_size) {
    return Internal("stored ZIP entry's payload size differs from its uncompressed size");
  }
  const EntrySizes sizes{entry.crc32, entry.payload.size(), entry.uncompressed_size};
  const uint64_t offset = bytes_written_;
  const bool zip64 = SizesNeedZip64(sizes) || offset >= kZip64SizeThreshold;
  const uint16_t flags = IsPlainAscii(entry.name) ? 0 : kFlagUtf8Name;
  const EntryFields fields = FieldsFor(entry.name, entry.method, flags, zip64);
  if (Status s = Emit(LocalHeader(fields, sizes)); !s.ok()) return s;
  if (Status s = Emit(entry.payload); !s.ok()) return s;
  TakeName(entry.name);
  return Record(fields, sizes, offset);
}

Status ZipWriter::BeginEntry(std::string name, Method method, int level,
                             std::optional<uint64_t> size_hint) {
  if (Status s = CheckCanStartEntry(name); !s.ok()) return s;
  if (method == Method::kDeflate && (level < 0 || level > 9)) {
    return Internal("ZIP compression level must be 0-9");
  }
  auto entry = std::make_unique<OpenEntry>();
  entry->method = level == 0 ? Method::kStore : method;
  uint64_t max_compressed = size_hint.value_or(0);
  if (entry->method == Method::kDeflate) {
    Result<DeflateStream> deflater = DeflateStream::Create(level);
    if (!deflater.ok()) return deflater.error();
    max_compressed = deflater->MaxOutputSize(max_compressed);
    entry->deflater.emplace(std::move(deflater).value());
  }
  entry->name = std::move(name);
  entry->flags = kFlagDataDescriptor | (IsPlainAscii(entry->name) ? 0 : kFlagUtf8Name);
  entry->zip64 =
      !size_hint || *size_hint >= kZip64SizeThreshold || max_compressed >= kZip64SizeThreshold;
  entry->offset = bytes_written_;
  const EntryFields fields = FieldsFor(entry->name, entry->method, entry->flags,
                                       entry->zip64 || entry->offset >= kZip64SizeThreshold);
  if (Status s = Emit(StreamedLocalHeader(fields, entry->zip64)); !s.ok()) return s;
  TakeName(entry->name);
  open_ = std::move(entry);
  return Status::Ok();
}

Status ZipWriter::Write(std::string_view chunk) {
  if (Status s = CheckAlive(); !s.ok()) return s;
  if (!open_) return Internal("ZIP Write without an open entry");
  EntrySizes& sizes = open_->sizes;
  if (!open_->zip64 && sizes.uncompressed + chunk.size() >= kZip64SizeThreshold) {
    return Fail(
        Internal("streamed ZIP entry reached 4 GiB but its size hint did not announce ZIP64"));
  }
  sizes.crc32 = UpdateCrc32(sizes.crc32, chunk);
  sizes.uncompressed += chunk.size();
  if (!open_->deflater) return EmitCompressed(chunk);
  const Status s =
      open_->deflater->Write(chunk, [this](std::string_view out) { return EmitCompressed(out); });
  return s.ok() ? s : Fail(s.error());
}

Status ZipWriter::EndEntry() {
  if (Status s = CheckAlive(); !s.ok()) return s;
  if (!open_) return Internal("ZIP EndEntry without an open entry");
  if (open_->deflater) {
    const Status s =
        open_->deflater->Finish([this](std::string_view out) { return EmitCompressed(out); });
    if (!s.ok()) return Fail(s.error());
  }
  const std::unique_ptr<OpenEntry> entry = std::move(open_);
  if (Status s = Emit(DataDescriptor(entry->sizes, entry->zip64)); !s.ok()) return s;
  const bool zip64 = entry->zip64 || entry->offset >= kZip64SizeThreshold;
  return Record(FieldsFor(entry->name, entry->method, entry->flags, zip64), entry->sizes,
                entry->offset);
}

Status ZipWriter::Finish() {
  if (Status s = CheckAlive(); !s.ok()) return s;
  if (open_) return Internal("ZIP Finish while an entry is open");
  const uint64_t directory_offset = bytes_written_;
  const Status copied = directory_.ForEachChunk(
      std::size_t{1} << 20, [this](std::string_view chunk) { return Emit(chunk); });
  if (!copied.ok()) return Fail(copied.error());
  const uint64_t directory_size = bytes_written_ - directory_offset;
  if (Status s = Emit(EndRecords(entry_count_, directory_offset, directory_size)); !s.ok())
    return s;
  finished_ = true;
  directory_ = SpillFile();
  return Status::Ok();
}

Status ZipWriter::CheckAlive() const {
  if (failure_) return *failure_;
  if (finished_) return Internal("ZIP archive already finished");
  return Status::Ok();
}

Status ZipWriter::CheckCanStartEntry(std::string_view name) {
  if (Status s = CheckAlive(); !s.ok()) return s;
  if (open_) return Internal("ZIP entry started while a streamed entry is open");
  if (Status s = CheckEntryName(name); !s.ok()) return s;
  if (NameTaken(name)) return Internal("duplicate ZIP entry name");
  return Status::Ok();
}

Status ZipWriter::Emit(std::string_view bytes) {
  if (bytes.empty()) return Status::Ok();
  const Status s = sink_.Write(bytes.data(), bytes.size());
  if (!s.ok()) return Fail(s.error());
  bytes_written_ += bytes.size();
  return s;
}

Status ZipWriter::EmitCompressed(std::string_view bytes) {
  EntrySizes& sizes = open_->sizes;
  if (!open_->zip64 && sizes.compressed + bytes.size() >= kZip64SizeThreshold) {
    return Fail(
        Internal("streamed ZIP entry reached 4 GiB but its size hint did not announce ZIP64"));
  }
  sizes.compressed += bytes.size();
  return Emit(bytes);
}

Status ZipWriter::Fail(const Error& error) {
  if (!failure_) failure_ = error;
  return *failure_;
}

EntryFields ZipWriter::FieldsFor(std::string_view name, Method method, uint16_t flags,
                                 bool zip64) const {
  EntryFields fields;
  fields.name = name;
  fields.method = method == Method::kDeflate ? kMethodDeflate : kMethodStore;
  fields.flags = flags;
  fields.version_needed = zip64 ? kVersionZip64 : kVersionDefault;
  fields.modified = dos_modified_;
  fields.unix_mtime = unix_modified_;
  return fields;
}

Status ZipWriter::Record(const EntryFields& fields, const EntrySizes& sizes, uint64_t offset) {
  ++entry_count_;
  const Status kept = directory_.Append(CentralHeader(fields, sizes, offset));
  return kept.ok() ? kept : Fail(kept.error());
}

namespace {

uint64_t NameHash(std::string_view name) {
  const uint64_t hash = std::hash<std::string_view>{}(name);
  return hash == 0 ? 1 : hash;
}

// The slot of `hash` in `table` (a power of two in size): where it is, or the free
// slot where it would go.
size_t SlotOf(const std::vector<uint64_t>& table, uint64_t hash) {
  const size_t mask = table.size() - 1;
  size_t slot = static_cast<size_t>(hash) & mask;
  while (table[slot] != 0 && table[slot] != hash) slot = (slot + 1) & mask;
  return slot;
}

constexpr size_t kCentralHeaderFixedBytes = 46;

uint16_t Le16(const char* p) {
  return static_cast<uint16_t>(static_cast<unsigned char>(p[0]) |
                               (static_cast<unsigned char>(p[1]) << 8));
}

}  // namespace

bool ZipWriter::NameTaken(std::string_view name) {
  if (name_hashes_.empty()) return false;
  const uint64_t hash = NameHash(name);
  if (name_hashes_[SlotOf(name_hashes_, hash)] != hash) return false;
  // The same hash: almost surely the same name, but only the directory can tell.
  // The open entry's name is not in it yet, but no entry starts while one is open.
  return DirectoryHolds(name);
}

void ZipWriter::TakeName(std::string_view name) {
  if ((names_taken_ + 1) * 2 > name_hashes_.size()) {
    std::vector<uint64_t> grown(std::max<size_t>(64, name_hashes_.size() * 2), 0);
    for (uint64_t hash : name_hashes_) {
      if (hash != 0) grown[SlotOf(grown, hash)] = hash;
    }
    name_hashes_.swap(grown);
  }
  const uint64_t hash = NameHash(name);
  uint64_t& slot = name_hashes_[SlotOf(name_hashes_, hash)];
  if (slot == 0) {
    slot = hash;
    ++names_taken_;
  }
}

bool ZipWriter::DirectoryHolds(std::string_view name) {
  // Scans central headers in `bytes`, which start on a header boundary; returns the
  // bytes of an unfinished header at its end, for the next piece.
  bool found = false;
  auto scan = [&](std::string_view bytes) -> size_t {
    size_t at = 0;
    while (!found && bytes.size() - at >= kCentralHeaderFixedBytes) {
      const char* header = bytes.data() + at;
      const size_t name_size = Le16(header + 28);
      const size_t total =
          kCentralHeaderFixedBytes + name_size + Le16(header + 30) + Le16(header + 32);
      if (bytes.size() - at < total) break;
      found = std::string_view(header + kCentralHeaderFixedBytes, name_size) == name;
      at += total;
    }
    return at;
  };
  std::string carry;
  const Status read =
      directory_.ForEachChunk(std::size_t{1} << 20, [&](std::string_view chunk) -> Status {
        carry.append(chunk);
        carry.erase(0, scan(carry));
        return found ? Error(ErrorCode::kConflict, "found") : Status::Ok();
      });
  // A directory that cannot be read back: refuse the name rather than risk a
  // duplicate (Finish fails on the same file anyway).
  return found || !read.ok();
}

}  // namespace pacsport::zip
