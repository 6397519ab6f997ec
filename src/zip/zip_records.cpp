#include "zip/zip_records.h"

#include <chrono>
#include <vector>

namespace pacsport::zip {
namespace {

constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kDataDescriptorSignature = 0x08074b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint16_t kExtendedTimestampId = 0x5455;
constexpr uint8_t kTimestampHasMtime = 1;
constexpr uint16_t kMadeByUnix = 3 << 8;
constexpr uint32_t kRegularFileMode = 0100644;     // external attributes, upper half
constexpr uint64_t kZip64EndRecordRemainder = 44;  // bytes after the size field

void Put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>(v >> 8));
}
void Put32(std::string& out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v & 0xFFFF));
  Put16(out, static_cast<uint16_t>(v >> 16));
}
void Put64(std::string& out, uint64_t v) {
  Put32(out, static_cast<uint32_t>(v & 0xFFFFFFFF));
  Put32(out, static_cast<uint32_t>(v >> 32));
}

constexpr uint32_t kMoved32 = 0xFFFFFFFF;  // "the value is in the ZIP64 extra field"

bool Overflows(uint64_t v) { return v >= kZip64SizeThreshold; }
// The value of a 32-bit field: itself, or kMoved32 when it moves to ZIP64.
uint32_t Field32(uint64_t v) { return Overflows(v) ? kMoved32 : static_cast<uint32_t>(v); }

// The ZIP64 extra field holding `values` (already in APPNOTE order), or nothing.
std::string Zip64Extra(const std::vector<uint64_t>& values) {
  std::string extra;
  if (values.empty()) return extra;
  Put16(extra, kZip64ExtraId);
  Put16(extra, static_cast<uint16_t>(8 * values.size()));
  for (uint64_t v : values) Put64(extra, v);
  return extra;
}

std::string TimestampExtra(const EntryFields& fields) {
  std::string extra;
  if (!fields.unix_mtime) return extra;
  Put16(extra, kExtendedTimestampId);
  Put16(extra, 5);
  extra.push_back(static_cast<char>(kTimestampHasMtime));
  Put32(extra, static_cast<uint32_t>(*fields.unix_mtime));
  return extra;
}

std::string LocalHeaderWith(const EntryFields& fields, uint32_t crc32, uint32_t compressed,
                            uint32_t uncompressed, const std::string& zip64_extra) {
  const std::string extra = zip64_extra + TimestampExtra(fields);
  std::string out;
  out.reserve(30 + fields.name.size() + extra.size());
  Put32(out, kLocalHeaderSignature);
  Put16(out, fields.version_needed);
  Put16(out, fields.flags);
  Put16(out, fields.method);
  Put16(out, fields.modified.time);
  Put16(out, fields.modified.date);
  Put32(out, crc32);
  Put32(out, compressed);
  Put32(out, uncompressed);
  Put16(out, static_cast<uint16_t>(fields.name.size()));
  Put16(out, static_cast<uint16_t>(extra.size()));
  out.append(fields.name);
  out.append(extra);
  return out;
}

}  // namespace

DosDateTime ToDosDateTime(SystemTime t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const int year = static_cast<int>(ymd.year());
  if (year < 1980) return {0, (1 << 5) | 1};  // 1980-01-01 00:00:00
  if (year > 2107) {
    return {(23 << 11) | (59 << 5) | 29, (127 << 9) | (12 << 5) | 31};  // 2107-12-31 23:59:58
  }
  const hh_mm_ss hms{floor<seconds>(t - day)};
  DosDateTime dos;
  dos.time = static_cast<uint16_t>((hms.hours().count() << 11) | (hms.minutes().count() << 5) |
                                   (hms.seconds().count() / 2));
  dos.date =
      static_cast<uint16_t>(((year - 1980) << 9) | (static_cast<unsigned>(ymd.month()) << 5) |
                            static_cast<unsigned>(ymd.day()));
  return dos;
}

bool SizesNeedZip64(const EntrySizes& sizes) {
  return Overflows(sizes.compressed) || Overflows(sizes.uncompressed);
}

std::string LocalHeader(const EntryFields& fields, const EntrySizes& sizes) {
  if (SizesNeedZip64(sizes)) {
    return LocalHeaderWith(fields, sizes.crc32, kMoved32, kMoved32,
                           Zip64Extra({sizes.uncompressed, sizes.compressed}));
  }
  return LocalHeaderWith(fields, sizes.crc32, Field32(sizes.compressed),
                         Field32(sizes.uncompressed), {});
}

std::string StreamedLocalHeader(const EntryFields& fields, bool zip64) {
  if (zip64) {
    return LocalHeaderWith(fields, 0, kMoved32, kMoved32, Zip64Extra({0, 0}));
  }
  return LocalHeaderWith(fields, 0, 0, 0, {});
}

std::string DataDescriptor(const EntrySizes& sizes, bool zip64) {
  std::string out;
  Put32(out, kDataDescriptorSignature);
  Put32(out, sizes.crc32);
  if (zip64) {
    Put64(out, sizes.compressed);
    Put64(out, sizes.uncompressed);
  } else {
    Put32(out, static_cast<uint32_t>(sizes.compressed));
    Put32(out, static_cast<uint32_t>(sizes.uncompressed));
  }
  return out;
}

std::string CentralHeader(const EntryFields& fields, const EntrySizes& sizes,
                          uint64_t local_header_offset) {
  std::vector<uint64_t> overflowed;
  for (uint64_t v : {sizes.uncompressed, sizes.compressed, local_header_offset}) {
    if (Overflows(v)) overflowed.push_back(v);
  }
  const std::string extra = Zip64Extra(overflowed) + TimestampExtra(fields);
  std::string out;
  out.reserve(46 + fields.name.size() + extra.size());
  Put32(out, kCentralHeaderSignature);
  Put16(out, kMadeByUnix | fields.version_needed);
  Put16(out, fields.version_needed);
  Put16(out, fields.flags);
  Put16(out, fields.method);
  Put16(out, fields.modified.time);
  Put16(out, fields.modified.date);
  Put32(out, sizes.crc32);
  Put32(out, Field32(sizes.compressed));
  Put32(out, Field32(sizes.uncompressed));
  Put16(out, static_cast<uint16_t>(fields.name.size()));
  Put16(out, static_cast<uint16_t>(extra.size()));
  Put16(out, 0);  // comment length
  Put16(out, 0);  // disk number start
  Put16(out, 0);  // internal attributes
  Put32(out, kRegularFileMode << 16);
  Put32(out, Field32(local_header_offset));
  out.append(fields.name);
  out.append(extra);
  return out;
}

std::string EndRecords(uint64_t entry_count, uint64_t directory_offset, uint64_t directory_size) {
  const bool too_many_entries = entry_count > kMaxClassicEntries;
  const bool zip64 = too_many_entries || Overflows(directory_offset) || Overflows(directory_size);
  std::string out;
  if (zip64) {
    const uint64_t zip64_end_offset = directory_offset + directory_size;
    Put32(out, kZip64EndSignature);
    Put64(out, kZip64EndRecordRemainder);
    Put16(out, kMadeByUnix | kVersionZip64);
    Put16(out, kVersionZip64);
    Put32(out, 0);  // this disk
    Put32(out, 0);  // disk with the central directory
    Put64(out, entry_count);
    Put64(out, entry_count);
    Put64(out, directory_size);
    Put64(out, directory_offset);
    Put32(out, kZip64LocatorSignature);
    Put32(out, 0);  // disk with the ZIP64 end record
    Put64(out, zip64_end_offset);
    Put32(out, 1);  // total disks
  }
  const auto count16 = static_cast<uint16_t>(too_many_entries ? kMaxClassicEntries : entry_count);
  Put32(out, kEndSignature);
  Put16(out, 0);  // this disk
  Put16(out, 0);  // disk with the central directory
  Put16(out, count16);
  Put16(out, count16);
  Put32(out, Field32(directory_size));
  Put32(out, Field32(directory_offset));
  Put16(out, 0);  // comment length
  return out;
}

}  // namespace pacsport::zip
