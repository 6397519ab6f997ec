#include "zip/archive_layout.h"

#include <stdexcept>

namespace pacsport::zip::ziptest {
namespace {

void Require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(what);
}

}  // namespace

uint16_t Le16(std::string_view bytes, size_t pos) {
  Require(pos + 2 <= bytes.size(), "read past the end");
  return static_cast<uint16_t>(static_cast<uint8_t>(bytes[pos]) |
                               static_cast<uint8_t>(bytes[pos + 1]) << 8);
}
uint32_t Le32(std::string_view bytes, size_t pos) {
  return Le16(bytes, pos) | static_cast<uint32_t>(Le16(bytes, pos + 2)) << 16;
}
uint64_t Le64(std::string_view bytes, size_t pos) {
  return Le32(bytes, pos) | static_cast<uint64_t>(Le32(bytes, pos + 4)) << 32;
}

std::string_view ArchiveTail::At(uint64_t offset, size_t size) const {
  Require(offset >= start && offset + size <= end(), "record outside the kept tail");
  return bytes.substr(offset - start, size);
}

ParsedEnd ParseEnd(const ArchiveTail& tail) {
  constexpr size_t kEndSize = 22, kLocatorSize = 20, kZip64EndSize = 56;
  const std::string_view eocd = tail.At(tail.end() - kEndSize, kEndSize);  // no archive comment
  Require(Le32(eocd, 0) == 0x06054b50, "no end of central directory record");
  ParsedEnd end;
  end.classic_entries = Le16(eocd, 10);
  Require(Le16(eocd, 8) == end.classic_entries, "entry counts differ");
  end.classic_directory_size = Le32(eocd, 12);
  end.classic_directory_offset = Le32(eocd, 16);
  end.entries = end.classic_entries;
  end.directory_size = end.classic_directory_size;
  end.directory_offset = end.classic_directory_offset;
  const uint64_t locator_offset = tail.end() - kEndSize - kLocatorSize;
  if (locator_offset < tail.start || Le32(tail.At(locator_offset, 4), 0) != 0x07064b50) return end;
  const std::string_view locator = tail.At(locator_offset, kLocatorSize);
  end.has_zip64_records = true;
  Require(Le32(locator, 16) == 1, "locator: disk count is not 1");
  const uint64_t zip64_end_offset = Le64(locator, 8);
  Require(zip64_end_offset + kZip64EndSize == locator_offset,
          "ZIP64 end record not right before its locator");
  const std::string_view record = tail.At(zip64_end_offset, kZip64EndSize);
  Require(Le32(record, 0) == 0x06064b50, "no ZIP64 end of central directory record");
  Require(Le64(record, 4) == 44, "ZIP64 end record size");
  Require(Le64(record, 24) == Le64(record, 32), "ZIP64 entry counts differ");
  end.entries = Le64(record, 32);
  end.directory_size = Le64(record, 40);
  end.directory_offset = Le64(record, 48);
  Require(end.directory_offset + end.directory_size == zip64_end_offset,
          "directory not right before end records");
  return end;
}

std::map<uint16_t, std::string> ParseExtras(std::string_view extra) {
  std::map<uint16_t, std::string> fields;
  size_t pos = 0;
  while (pos < extra.size()) {
    const uint16_t id = Le16(extra, pos);
    const uint16_t size = Le16(extra, pos + 2);
    Require(pos + 4 + size <= extra.size(), "extra field overruns");
    Require(fields.emplace(id, std::string(extra.substr(pos + 4, size))).second,
            "repeated extra field");
    pos += 4 + size;
  }
  return fields;
}

std::vector<ParsedHeader> ParseCentralDirectory(const ArchiveTail& tail, const ParsedEnd& end) {
  const std::string_view dir = tail.At(end.directory_offset, end.directory_size);
  std::vector<ParsedHeader> headers;
  size_t pos = 0;
  while (pos < dir.size()) {
    Require(Le32(dir, pos) == 0x02014b50, "bad central header signature");
    ParsedHeader h;
    h.version_made_by = Le16(dir, pos + 4);
    h.version_needed = Le16(dir, pos + 6);
    h.flags = Le16(dir, pos + 8);
    h.method = Le16(dir, pos + 10);
    h.dos_time = Le16(dir, pos + 12);
    h.dos_date = Le16(dir, pos + 14);
    h.crc32 = Le32(dir, pos + 16);
    h.compressed = Le32(dir, pos + 20);
    h.uncompressed = Le32(dir, pos + 24);
    const uint16_t name_size = Le16(dir, pos + 28), extra_size = Le16(dir, pos + 30),
                   comment_size = Le16(dir, pos + 32);
    h.external_attributes = Le32(dir, pos + 38);
    h.local_header_offset = Le32(dir, pos + 42);
    Require(pos + 46 + name_size + extra_size + comment_size <= dir.size(),
            "central header overruns");
    h.name = std::string(dir.substr(pos + 46, name_size));
    h.extras = ParseExtras(dir.substr(pos + 46 + name_size, extra_size));
    h.record_size = 46 + name_size + extra_size + comment_size;
    pos += h.record_size;
    headers.push_back(std::move(h));
  }
  Require(headers.size() == end.entries, "entry count differs from the central directory");
  return headers;
}

ParsedHeader ParseLocalHeader(const ArchiveTail& tail, uint64_t offset) {
  const std::string_view fixed = tail.At(offset, 30);
  Require(Le32(fixed, 0) == 0x04034b50, "bad local header signature");
  ParsedHeader h;
  h.version_needed = Le16(fixed, 4);
  h.flags = Le16(fixed, 6);
  h.method = Le16(fixed, 8);
  h.dos_time = Le16(fixed, 10);
  h.dos_date = Le16(fixed, 12);
  h.crc32 = Le32(fixed, 14);
  h.compressed = Le32(fixed, 18);
  h.uncompressed = Le32(fixed, 22);
  const uint16_t name_size = Le16(fixed, 26), extra_size = Le16(fixed, 28);
  h.name = std::string(tail.At(offset + 30, name_size));
  h.extras = ParseExtras(tail.At(offset + 30 + name_size, extra_size));
  h.record_size = 30 + name_size + extra_size;
  return h;
}

}  // namespace pacsport::zip::ziptest
