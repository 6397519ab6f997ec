// Test helper: an independent little parser of the ZIP records ZipWriter emits, so
// tests can assert on header fields (flags, versions, ZIP64 extras, end records)
// that readers do not expose. It works on the whole archive or only on its tail
// (for archives too large to keep). Malformed input throws std::runtime_error.
// Test-only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pacsport::zip::ziptest {

uint16_t Le16(std::string_view bytes, size_t pos);
uint32_t Le32(std::string_view bytes, size_t pos);
uint64_t Le64(std::string_view bytes, size_t pos);

// The last bytes of an archive and the absolute offset of the first of them.
struct ArchiveTail {
  std::string_view bytes;
  uint64_t start = 0;

  // `size` bytes at absolute offset `offset`; throws when they are not in the tail.
  std::string_view At(uint64_t offset, size_t size) const;
  uint64_t end() const { return start + bytes.size(); }
};

struct ParsedEnd {
  bool has_zip64_records = false;  // ZIP64 end record and locator present
  uint16_t classic_entries = 0;    // the 16-bit count in the classic record
  uint32_t classic_directory_size = 0;
  uint32_t classic_directory_offset = 0;
  uint64_t entries = 0;  // the effective values
  uint64_t directory_size = 0;
  uint64_t directory_offset = 0;
};
ParsedEnd ParseEnd(const ArchiveTail& tail);

// Extra fields by id; throws on a malformed or repeated field.
std::map<uint16_t, std::string> ParseExtras(std::string_view extra);

struct ParsedHeader {            // a local or central header
  uint16_t version_made_by = 0;  // central only
  uint16_t version_needed = 0;
  uint16_t flags = 0;
  uint16_t method = 0;
  uint16_t dos_time = 0;
  uint16_t dos_date = 0;
  uint32_t crc32 = 0;
  uint32_t compressed = 0;
  uint32_t uncompressed = 0;
  uint32_t external_attributes = 0;  // central only
  uint32_t local_header_offset = 0;  // central only
  std::string name;
  std::map<uint16_t, std::string> extras;
  uint64_t record_size = 0;  // header bytes including name and extra
};
std::vector<ParsedHeader> ParseCentralDirectory(const ArchiveTail& tail, const ParsedEnd& end);
ParsedHeader ParseLocalHeader(const ArchiveTail& tail, uint64_t offset);

}  // namespace pacsport::zip::ziptest
