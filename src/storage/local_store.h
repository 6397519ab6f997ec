// LocalStore: the embedded, content-addressed DICOM store. Each file lives under its
// SHA-256: ROOT/ab/cd/abcd…(64 hex). A file is written to ROOT/tmp, fsynced, renamed
// into place and its directory fsynced, so the store never holds a half-written file
// under a final name; an interrupted Put leaves at most a stray file in ROOT/tmp,
// which the next Open removes.
//
// Thread-safe. Content addressing makes concurrent Puts of the same bytes harmless;
// callers that Remove must make sure no index row still refers to the key.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.h"
#include "storage/dicom_source.h"

namespace pacsport {

class LocalStore : public DicomSource {
 public:
  static constexpr const char* kSourceName = "local";

  // Creates ROOT (and ROOT/tmp) when absent and clears stale temporary files.
  static Result<std::unique_ptr<LocalStore>> Open(const std::filesystem::path& root);

  // Stores `bytes` under `sha256` (which the caller computed) unless already present.
  // kUnavailable when the disk refuses (full, read-only); nothing is left behind then.
  Status Put(const std::string& sha256, std::string_view bytes);
  // Hands an object's bytes, in order, chunk by chunk, to the consumer it is given.
  using ChunkProducer = std::function<Status(const ChunkConsumer& consume)>;
  // Like Put, for an object too large to hold in memory: the bytes `produce` hands
  // over are written as they come. An error of `produce` is returned, and nothing is
  // left behind then either.
  Status PutChunks(const std::string& sha256, const ChunkProducer& produce);
  // Removes the file of `sha256`, if present.
  Status Remove(const std::string& sha256);
  bool Contains(const std::string& sha256) const;

  Result<std::string> Read(const InstanceLocation& location) override;
  Status ReadChunked(const InstanceLocation& location, size_t chunk_size,
                     const ChunkConsumer& consume) override;
  // kUnavailable when the store's directory cannot be read (an unmounted volume).
  Status CheckReachable() override;

 private:
  explicit LocalStore(std::filesystem::path root) : root_(std::move(root)) {}
  // kInvalidInput unless key is 64 lowercase hex digits (no path tricks).
  Result<std::filesystem::path> PathOf(const std::string& sha256) const;
  // Opens the object of `location` for reading; the caller closes the descriptor.
  Result<int> OpenObject(const InstanceLocation& location) const;

  const std::filesystem::path root_;
};

}  // namespace pacsport
