// The byte layouts of the ZIP records that ZipWriter emits (PKWARE APPNOTE.TXT 6.3:
// 4.3.7 local file header, 4.3.9 data descriptor, 4.3.12 central directory header,
// 4.3.14-4.3.16 end records, 4.5.3 ZIP64 extended information, and Info-ZIP's
// extended timestamp 0x5455), and the rules for when ZIP64 is needed.
//
// Pure functions over values: they decide nothing about the writer's state and do no
// I/O. Thread-safe. All integers are encoded little-endian.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace pacsport::zip {

// A 32-bit size or offset field can hold values below this; at or above it the
// field is set to 0xFFFFFFFF and the value goes into the ZIP64 extra field.
inline constexpr uint64_t kZip64SizeThreshold = 0xFFFFFFFF;
// The end record's 16-bit entry counts hold up to this many entries; more need ZIP64.
inline constexpr uint64_t kMaxClassicEntries = 0xFFFF;

inline constexpr uint16_t kMethodStore = 0;
inline constexpr uint16_t kMethodDeflate = 8;
inline constexpr uint16_t kFlagDataDescriptor = 1 << 3;  // sizes and CRC follow the data
inline constexpr uint16_t kFlagUtf8Name = 1 << 11;       // the name is UTF-8
inline constexpr uint16_t kVersionDefault = 20;          // deflate, folders
inline constexpr uint16_t kVersionZip64 = 45;

// MS-DOS date and time fields (local-time in the format, UTC here).
struct DosDateTime {
  uint16_t time = 0;
  uint16_t date = 0;
};
// Two-second resolution; times outside 1980-2107 clamp to the nearest end.
DosDateTime ToDosDateTime(SystemTime t);

// What the local and the central header of one entry share.
struct EntryFields {
  std::string_view name;
  uint16_t method = kMethodStore;
  uint16_t flags = 0;
  uint16_t version_needed = kVersionDefault;
  DosDateTime modified;
  // Unix mtime for the extended timestamp extra field; absent when it does not fit
  // the field's signed 32 bits.
  std::optional<int32_t> unix_mtime;
};

struct EntrySizes {
  uint32_t crc32 = 0;
  uint64_t compressed = 0;
  uint64_t uncompressed = 0;
};

// True when either size needs the ZIP64 extra field.
bool SizesNeedZip64(const EntrySizes& sizes);

// Local header with exact CRC and sizes. When SizesNeedZip64, both 32-bit size
// fields are 0xFFFFFFFF and the ZIP64 extra field carries both sizes (4.5.3 requires
// both in a local header).
std::string LocalHeader(const EntryFields& fields, const EntrySizes& sizes);

// Local header of an entry whose CRC and sizes follow in a data descriptor (flag bit 3
// must be in fields.flags): CRC and sizes are zero, or, when `zip64`, the size fields
// are 0xFFFFFFFF and a ZIP64 extra field with two zero sizes announces that the data
// descriptor holds 8-byte sizes.
std::string StreamedLocalHeader(const EntryFields& fields, bool zip64);

// Data descriptor with its signature; 8-byte sizes when `zip64`, else 4-byte sizes
// (then requires !SizesNeedZip64(sizes)).
std::string DataDescriptor(const EntrySizes& sizes, bool zip64);

// Central directory header. A ZIP64 extra field is added exactly when a size or the
// offset reaches kZip64SizeThreshold, holding only those values, in APPNOTE order.
std::string CentralHeader(const EntryFields& fields, const EntrySizes& sizes,
                          uint64_t local_header_offset);

// The end of central directory record, preceded by the ZIP64 end of central directory
// record and its locator exactly when the entry count exceeds kMaxClassicEntries or
// the directory's size or offset reaches kZip64SizeThreshold. The end records start
// at directory_offset + directory_size.
std::string EndRecords(uint64_t entry_count, uint64_t directory_offset, uint64_t directory_size);

}  // namespace pacsport::zip
