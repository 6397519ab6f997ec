// verify: checks an export archive offline (docs/export-format.md, "Receipt"): every
// entry, streamed, against checksums.sha256, and receipt.json's signature over those
// checksums, with the key the receipt embeds and, with --key, the hospital's
// published key. libzip reads the archive (ZIP64 and data descriptors included) and
// checks each entry's CRC-32 as it is read.
#include <zip.h>

#include <cctype>
#include <functional>
#include <iostream>
#include <map>
#include <utility>

#include "app/commands.h"
#include "auth/signing_key.h"
#include "core/digest.h"
#include "export/export_receipt.h"

namespace pacsport {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
// A receipt is a few hundred bytes; a larger one is not a receipt.
constexpr std::size_t kMaxReceiptBytes = std::size_t{1} << 20;

std::string ZipErrorText(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

// An archive open for reading. kUnavailable when the file cannot be read,
// kInvalidInput when it is not a consistent ZIP archive or an entry cannot be read.
class ZipArchive {
 public:
  static Result<ZipArchive> Open(const fs::path& path) {
    int code = 0;
    zip_t* zip = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
    if (zip == nullptr) {
      const std::string why = ZipErrorText(code);
      if (code == ZIP_ER_OPEN || code == ZIP_ER_READ || code == ZIP_ER_NOENT) {
        return Unavailable("cannot read " + path.string() + ": " + why);
      }
      return InvalidInput(path.string() + " is not a readable ZIP archive: " + why);
    }
    return ZipArchive(zip);
  }
  ZipArchive(ZipArchive&& other) noexcept : zip_(std::exchange(other.zip_, nullptr)) {}
  ZipArchive& operator=(ZipArchive&&) = delete;
  ~ZipArchive() {
    if (zip_ != nullptr) zip_discard(zip_);
  }

  zip_uint64_t entries() const { return static_cast<zip_uint64_t>(zip_get_num_entries(zip_, 0)); }
  std::string Name(zip_uint64_t index) const {
    const char* name = zip_get_name(zip_, index, 0);
    return name != nullptr ? name : "";
  }
  std::optional<zip_uint64_t> Find(const std::string& name) const {
    const zip_int64_t index = zip_name_locate(zip_, name.c_str(), 0);
    if (index < 0) return std::nullopt;
    return static_cast<zip_uint64_t>(index);
  }

  // Calls `chunk` with the entry's bytes in order; stops at its first error.
  Status Read(zip_uint64_t index, const std::function<Status(std::string_view)>& chunk) const {
    zip_file_t* file = zip_fopen_index(zip_, index, 0);
    if (file == nullptr) {
      return InvalidInput("cannot read entry " + Name(index) + ": " + zip_strerror(zip_));
    }
    std::string buffer(kChunkBytes, '\0');
    Status status;
    for (;;) {
      const zip_int64_t n = zip_fread(file, buffer.data(), buffer.size());
      if (n < 0) {
        status = InvalidInput("cannot read entry " + Name(index) + ": " +
                              zip_error_strerror(zip_file_get_error(file)));
        break;
      }
      if (n == 0) break;
      status = chunk(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
      if (!status.ok()) break;
    }
    zip_fclose(file);
    return status;
  }

 private:
  explicit ZipArchive(zip_t* zip) : zip_(zip) {}
  zip_t* zip_;
};

// checksums.sha256: the digest listed for each name, the name on its last line, and
// the SHA-256 of the lines before that one (what a receipt's manifestSha256 covers).
struct Manifest {
  std::map<std::string, std::string> digests;
  std::string last_name;
  std::string sha256_before_last;
};

// Reads checksums.sha256 line by line ("<64 hex digits>  <name>", as sha256sum writes
// it; " *<name>" too), never whole.
Result<Manifest> ReadManifest(const ZipArchive& archive, zip_uint64_t index) {
  Manifest manifest;
  Sha256 before_last;
  std::string pending;   // a line not yet ended
  std::string previous;  // the last complete line, hashed once another follows
  std::int64_t number = 0;
  auto line = [&](std::string text) -> Status {
    ++number;
    const std::string where = std::string(kManifestEntry) + " line " + std::to_string(number);
    if (text.size() < 67 || (text.compare(64, 2, "  ") != 0 && text.compare(64, 2, " *") != 0) ||
        text.find_first_not_of("0123456789abcdefABCDEF") < 64) {
      return InvalidInput(where + " is not \"<sha256>  <name>\"");
    }
    std::string digest = text.substr(0, 64);
    for (char& c : digest) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string name = text.substr(66);
    if (!manifest.digests.emplace(name, std::move(digest)).second) {
      return InvalidInput(where + " lists " + name + " a second time");
    }
    before_last.Update(previous.data(), previous.size());
    previous = std::move(text) + "\n";
    manifest.last_name = std::move(name);
    return Status::Ok();
  };
  Status read = archive.Read(index, [&](std::string_view chunk) -> Status {
    for (;;) {
      const std::size_t end = chunk.find('\n');
      if (end == std::string_view::npos) break;
      pending.append(chunk.substr(0, end));
      if (Status s = line(std::exchange(pending, {})); !s.ok()) return s;
      chunk.remove_prefix(end + 1);
    }
    pending.append(chunk);
    if (pending.size() > 64 * 1024) {
      return InvalidInput(std::string(kManifestEntry) + " has a line over 64 KiB");
    }
    return Status::Ok();
  });
  if (!read.ok()) return read.error();
  if (!pending.empty()) {
    return InvalidInput(std::string(kManifestEntry) + " does not end with a newline");
  }
  manifest.sha256_before_last = before_last.FinishHex();
  return manifest;
}

// Checks every entry against `manifest`, streamed; keeps receipt.json's text.
Status CheckEntries(const ZipArchive& archive, Manifest& manifest, std::string& receipt) {
  for (zip_uint64_t index = 0; index < archive.entries(); ++index) {
    const std::string name = archive.Name(index);
    if (name == kManifestEntry) continue;
    if (name.ends_with('/')) continue;  // a folder, which has no bytes
    const auto listed = manifest.digests.find(name);
    if (listed == manifest.digests.end()) {
      return InvalidInput(name + " is not listed in " + std::string(kManifestEntry));
    }
    const bool is_receipt = name == kReceiptEntry;
    Sha256 sha256;
    if (Status s = archive.Read(index,
                                [&](std::string_view chunk) -> Status {
                                  sha256.Update(chunk.data(), chunk.size());
                                  if (!is_receipt) return Status::Ok();
                                  if (receipt.size() + chunk.size() > kMaxReceiptBytes) {
                                    return InvalidInput("receipt.json is over 1 MiB");
                                  }
                                  receipt.append(chunk);
                                  return Status::Ok();
                                });
        !s.ok()) {
      return s;
    }
    if (sha256.FinishHex() != listed->second) {
      return InvalidInput(name + " does not match its checksum: it was changed after the export");
    }
    manifest.digests.erase(listed);
  }
  if (!manifest.digests.empty()) {
    return InvalidInput(manifest.digests.begin()->first + " is listed in " +
                        std::string(kManifestEntry) + " but missing from the archive");
  }
  return Status::Ok();
}

// The first problem of the archive, or what its receipt states.
Result<VerifiedReceipt> Verify(const ZipArchive& archive,
                               const std::optional<auth::PublicKey>& key) {
  const auto manifest_index = archive.Find(std::string(kManifestEntry));
  if (!manifest_index) return InvalidInput("the archive has no " + std::string(kManifestEntry));
  auto manifest = ReadManifest(archive, *manifest_index);
  if (!manifest.ok()) return manifest.error();
  if (!archive.Find(std::string(kReceiptEntry))) {
    return InvalidInput("the archive has no receipt.json: it is not a signed export");
  }
  if (manifest->last_name != kReceiptEntry) {
    return InvalidInput("receipt.json is not on the last line of " + std::string(kManifestEntry));
  }
  const std::string before_last = manifest->sha256_before_last;
  std::string receipt;
  if (Status s = CheckEntries(archive, *manifest, receipt); !s.ok()) return s.error();
  return VerifyReceipt(receipt, before_last, key);
}

void Report(const fs::path& path, zip_uint64_t entries, const VerifiedReceipt& verified) {
  const ExportReceipt& r = verified.receipt;
  std::cout << "archive:      " << path.string() << " (" << entries
            << " entries, every one matches checksums.sha256)\n"
            << "exported by:  " << r.username << " (" << r.role << "), " << r.hospital_name << "\n"
            << "exported at:  " << r.exported_at << "\n"
            << "audit record: " << r.audit_id;
  if (!r.request_id.empty()) std::cout << " (request " << r.request_id << ")";
  std::cout << "\nexport:       " << r.scope;
  if (!r.target.empty()) std::cout << " " << r.target;
  std::cout << ", " << r.archive_name << "\n"
            << "signing key:  " << verified.key_id << "\n";
  if (verified.key_given) {
    std::cout << "verified: the receipt is signed by the given key\n";
  } else {
    std::cout << "verified: signed by the key embedded in the receipt only; compare its key id "
              << verified.key_id
              << " with the hospital's published one (GET /api/audit/public-key), or pass "
                 "--key FILE\n";
  }
}

}  // namespace

int RunVerify(const VerifyOptions& options) {
  std::optional<auth::PublicKey> key;
  if (options.key) {
    auto read = auth::PublicKey::ReadFile(*options.key);
    if (!read.ok()) {
      Fail("--key " + options.key->string() + ": " + read.error().message());
      return 2;
    }
    key = std::move(*read);
  }
  auto archive = ZipArchive::Open(options.archive);
  if (!archive.ok() && archive.error().code() == ErrorCode::kUnavailable) {
    Fail(archive.error());
    return 2;
  }
  if (!archive.ok()) return Fail("NOT verified: " + archive.error().message());
  auto verified = Verify(*archive, key);
  if (!verified.ok()) return Fail("NOT verified: " + verified.error().message());
  Report(options.archive, archive->entries(), *verified);
  return 0;
}

}  // namespace pacsport
