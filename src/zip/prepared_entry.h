// A ZIP entry compressed ahead of writing, so that compression can run on worker
// threads while one thread streams entries into the archive (ZipWriter::Add).
//
// Prepare is pure and thread-safe: it does no I/O and shares no state between threads.
// Each thread keeps a compressor per level it used (about 1 MB at level 9) and an
// output buffer of up to 8 MiB, for its lifetime. The entry owns its payload.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pacsport::zip {

enum class Method { kStore, kDeflate };

struct PreparedEntry {
  std::string name;  // path inside the archive, '/'-separated, UTF-8
  Method method = Method::kStore;
  uint32_t crc32 = 0;  // of the uncompressed bytes
  uint64_t uncompressed_size = 0;
  std::string payload;  // the stored or deflated bytes
};

// Compresses `data` with raw deflate at `level` (1-9; 0 = store). When deflate does
// not make the data smaller (PNG, compressed DICOM pixel data, tiny or empty inputs)
// the entry is stored instead. `name` is not checked here; ZipWriter::Add checks it.
// Requires: 0 <= level <= 9 (otherwise throws ErrorException with kInternal, a
// caller bug). Throws std::bad_alloc when memory runs out.
PreparedEntry Prepare(std::string name, std::string_view data, int level);

}  // namespace pacsport::zip
