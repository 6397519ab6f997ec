// Raw deflate (RFC 1951, no zlib or gzip wrapper) over zlib, fed chunk by chunk, for
// ZIP entries too large to compress in one piece.
//
// Memory is bounded: zlib's window and tables plus one 64 KiB output buffer; output
// is handed to a callback as soon as the buffer fills. Not thread-safe: one stream
// per entry, used by one thread. Movable, not copyable.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "core/error.h"

namespace pacsport::zip {

class DeflateStream {
 public:
  // Receives compressed bytes; an error stops the stream and is returned by the call
  // that produced the bytes.
  using Output = std::function<Status(std::string_view)>;

  // Requires 1 <= level <= 9. kInternal when zlib cannot start (out of memory).
  static Result<DeflateStream> Create(int level);

  DeflateStream(DeflateStream&&) noexcept;
  DeflateStream& operator=(DeflateStream&&) noexcept;
  ~DeflateStream();

  // The most bytes raw deflate can produce from `input_size` bytes (zlib's
  // deflateBound): incompressible data grows by a few bytes per 16 KiB.
  uint64_t MaxOutputSize(uint64_t input_size) const;

  // Compresses `input`, passing any complete output to `output`.
  Status Write(std::string_view input, const Output& output);
  // Flushes the final block to `output`. Requires: called once, after every Write.
  Status Finish(const Output& output);

 private:
  struct Impl;
  explicit DeflateStream(std::unique_ptr<Impl> impl);
  Status Run(std::string_view input, int flush, const Output& output);

  std::unique_ptr<Impl> impl_;
};

}  // namespace pacsport::zip
