// ZipWriter: builds a ZIP archive front to back into a ByteSink, for downloads that
// start before the archive is complete. It never seeks and holds no entry data
// beyond one chunk (plus zlib's window), so memory stays bounded by the central
// directory (about 100 bytes per entry) however large the archive grows.
//
// Two ways to add an entry:
//  - Add: an entry compressed ahead by Prepare (prepared_entry.h), possibly on
//    another thread. Its local header carries the exact CRC and sizes.
//  - BeginEntry / Write... / EndEntry: an entry too large to hold whole, deflated
//    (zlib) or stored chunk by chunk; CRC and sizes follow in a data descriptor.
// Finish writes the central directory and end records. Dropping the writer without
// Finish abandons the archive: what the sink got is then not a valid ZIP, which is
// what the HTTP layer wants when it aborts a download.
//
// ZIP64 is used exactly where a field overflows (format: docs/zip-format.md); classic
// archives stay classic because some readers mishandle needless ZIP64 records.
//
// Errors:
//  - The sink's first failed Write kills the writer: that call and every later call
//    return the same error, and the sink is never written again. A streamed entry
//    that outgrows 4 GiB although its size hint did not announce ZIP64 kills the
//    writer too (kInternal): the bytes already sent cannot be fixed.
//  - Refused calls write nothing and leave the writer usable: an invalid name
//    (kInvalidInput, see entry_name.h), a name already in the archive (kInternal:
//    duplicate names corrupt archives for some readers, and a plan should never hold
//    two), and calls out of order or with bad arguments (kInternal).
//  - A central directory that cannot be spilled (no temporary directory, disk full)
//    kills the writer with kUnavailable.
//
// Not thread-safe: one thread drives a writer. The sink is borrowed and must outlive
// the writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_sink.h"
#include "core/clock.h"
#include "core/error.h"
#include "zip/prepared_entry.h"
#include "zip/spill_file.h"
#include "zip/zip_records.h"

namespace pacsport::zip {

struct ZipWriterOptions {
  // Central directory bytes held in memory; beyond, it goes to a temporary file.
  std::size_t directory_memory_bytes = std::size_t{1} << 20;
};

class ZipWriter {
 public:
  // Every entry gets `modified` (UTC) as its DOS date/time and extended timestamp.
  explicit ZipWriter(ByteSink& sink, SystemTime modified = std::chrono::system_clock::now(),
                     ZipWriterOptions options = {});
  ~ZipWriter();
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  // Writes the local header (exact sizes, no data descriptor) and the payload.
  // Requires: no streamed entry open; for kStore, payload.size() == uncompressed_size.
  Status Add(const PreparedEntry& entry);

  // Opens a streamed entry and writes its local header. `level` 1-9 deflates with
  // zlib, 0 stores (as Prepare); ignored for kStore. `size_hint` is the uncompressed
  // size if known: when absent, or when the entry may reach 4 GiB, the local header
  // announces ZIP64 and the data descriptor has 8-byte sizes. Requires: no entry open.
  Status BeginEntry(std::string name, Method method, int level, std::optional<uint64_t> size_hint);
  // Appends uncompressed bytes to the open entry. Requires: an entry is open.
  Status Write(std::string_view chunk);
  // Ends the open entry: flushes the compressor, writes the data descriptor.
  Status EndEntry();

  // Writes the central directory and end records. Requires: no entry open. After it
  // every call is refused.
  Status Finish();

  // Bytes accepted by the sink so far.
  uint64_t bytes_written() const { return bytes_written_; }
  // Entries completed (Add, or EndEntry) so far.
  size_t entry_count() const { return entry_count_; }
  // True once the central directory went to a temporary file.
  bool directory_spilled() const { return directory_.spilled(); }

 private:
  struct OpenEntry;

  Status CheckCanStartEntry(std::string_view name);
  Status CheckAlive() const;
  Status Emit(std::string_view bytes);
  Status EmitCompressed(std::string_view bytes);
  Status Fail(const Error& error);
  EntryFields FieldsFor(std::string_view name, Method method, uint16_t flags, bool zip64) const;
  Status Record(const EntryFields& fields, const EntrySizes& sizes, uint64_t offset);
  // Whether `name` was taken; TakeName records it.
  bool NameTaken(std::string_view name);
  void TakeName(std::string_view name);
  // Whether a central header of the directory so far carries `name`.
  bool DirectoryHolds(std::string_view name);

  ByteSink& sink_;
  const DosDateTime dos_modified_;
  const std::optional<int32_t> unix_modified_;
  uint64_t bytes_written_ = 0;
  size_t entry_count_ = 0;
  // The headers of the completed entries, in order.
  SpillFile directory_;
  // Hashes of every name taken, completed or open: open addressing, 0 = free slot.
  std::vector<uint64_t> name_hashes_;
  size_t names_taken_ = 0;
  std::optional<Error> failure_;  // set once: the writer is dead
  bool finished_ = false;
  std::unique_ptr<OpenEntry> open_;  // between BeginEntry and EndEntry
};

}  // namespace pacsport::zip
