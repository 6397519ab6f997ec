#include "delivery/azure_blob_sender.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <future>
#include <optional>
#include <regex>
#include <vector>

#include "delivery/azure_shared_key.h"
#include "delivery/http_call.h"
#include "delivery/percent_encoding.h"
#include "delivery/settings_reader.h"

namespace pacsport::delivery {
namespace {

constexpr const char* kApiVersion = "2023-11-03";
constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
constexpr std::uint64_t kMaxBlocks = 50000;  // per blob, the service's limit
constexpr std::size_t kMaxBlobName = 1024;   // characters, the service's limit

using Params = std::vector<std::pair<std::string, std::string>>;

// Azure's error code of a refusal: the x-ms-error-code header, else the body's <Code>.
std::string AzureErrorCode(const HttpAnswer& answer) {
  if (const auto it = answer.headers.find("x-ms-error-code"); it != answer.headers.end()) {
    return it->second;
  }
  const auto begin = answer.body.find("<Code>");
  const auto end = answer.body.find("</Code>");
  if (begin != std::string::npos && end != std::string::npos && end > begin) {
    return answer.body.substr(begin + 6, end - begin - 6);
  }
  return "no error code";
}

// A body that reached Azure unlike it left (Md5Mismatch) is sent again, as a network
// failure is.
Status StatusOf(const HttpAnswer& answer, const std::string& what) {
  if (answer.status >= 200 && answer.status < 300) return Status::Ok();
  const std::string code = AzureErrorCode(answer);
  const std::string detail =
      what + ": Azure answered " + std::to_string(answer.status) + " " + code;
  if (answer.status == 401 || answer.status == 403) return Forbidden(detail);
  if (answer.status == 408 || answer.status == 429 || answer.status >= 500 ||
      code == "Md5Mismatch") {
    return Unavailable(detail);
  }
  return InvalidInput(detail);
}

class Md5 {
 public:
  Md5() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_.get(), EVP_md5(), nullptr); }
  void Update(const void* data, size_t size) { EVP_DigestUpdate(ctx_.get(), data, size); }
  // The digest in base64, as Content-MD5 carries it. Requires: called once.
  std::string FinishBase64() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest, &size);
    return Base64Encode(std::string_view(reinterpret_cast<const char*>(digest), size));
  }

 private:
  struct Free {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

// The base64 MD5 of `range`, as Content-MD5 carries it; nullopt when the file cannot
// be read.
std::optional<std::string> RangeMd5(const FileRange& range) {
  std::vector<char> buffer(kMiB);
  Md5 md5;
  for (std::uint64_t done = 0; done < range.length;) {
    const size_t want =
        static_cast<size_t>(std::min<std::uint64_t>(buffer.size(), range.length - done));
    const ssize_t n =
        ::pread(range.fd, buffer.data(), want, static_cast<off_t>(range.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    md5.Update(buffer.data(), static_cast<size_t>(n));
    done += static_cast<std::uint64_t>(n);
  }
  return md5.FinishBase64();
}

// The headers of the call that creates the blob: its type and the archive's SHA-256
// (an empty header value would be signed but not sent, so none is).
void AddBlobProperties(const OutgoingArchive& archive, std::vector<std::string>& headers) {
  if (!archive.content_type.empty())
    headers.push_back("x-ms-blob-content-type: " + archive.content_type);
  if (!archive.sha256.empty()) headers.push_back("x-ms-meta-sha256: " + archive.sha256);
}

class OpenFile {
 public:
  explicit OpenFile(const std::filesystem::path& path)
      : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~OpenFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// How requests are authorized: exactly one of the two.
struct AzureCredentials {
  std::string account_key;  // decoded bytes, for Shared Key
  std::string sas_query;    // without a leading '?'
};

struct AzureBlobSettings {
  std::string origin;         // the endpoint's scheme, host and port
  std::string endpoint_path;  // the endpoint's path, e.g. "/devstoreaccount1" or "", no final '/'
  std::string account;
  std::string container;
  std::string prefix;
  std::uint64_t block_size = 16 * kMiB;
};

// One request to the Blob service, before it is signed.
struct AzureRequest {
  std::string method;
  std::string blob;  // "" for the container itself
  Params query;
  std::vector<std::string> headers;  // "Name: value", x-ms-date/version and auth added
  std::string body;
  std::optional<FileRange> file;
};

class AzureBlobSender final : public ArchiveSender {
 public:
  AzureBlobSender(AzureBlobSettings settings, AzureCredentials credentials, RetryPolicy retry)
      : settings_(std::move(settings)), credentials_(std::move(credentials)), retry_(retry) {}

  Status Check(std::stop_token stop) override {
    AzureRequest list{"GET", "", {{"restype", "container"}, {"comp", "list"}, {"maxresults", "1"}},
                      {},    {}, {}};
    if (!settings_.prefix.empty()) list.query.emplace_back("prefix", settings_.prefix);
    auto answer = Retry(retry_, stop, [&] { return Call(list, "List Blobs", stop, nullptr); });
    if (!answer.ok()) return answer.error();
    return Status::Ok();
  }

  Result<DeliveryReceipt> Send(const OutgoingArchive& archive, std::stop_token stop,
                               std::atomic<std::uint64_t>& bytes_sent) override {
    const std::string blob = ObjectName(settings_.prefix, archive);
    if (blob.size() > kMaxBlobName) {
      return InvalidInput("the blob name " + blob + " is longer than Azure's 1024 characters");
    }
    const std::uint64_t blocks = (archive.size + settings_.block_size - 1) / settings_.block_size;
    if (blocks > kMaxBlocks) {
      return InvalidInput("an archive of " + std::to_string(archive.size) +
                          " bytes needs more than Azure's 50000 blocks; raise blockSizeMiB");
    }
    OpenFile file(archive.path);
    if (file.fd() < 0) return Internal("the archive " + archive.name + " cannot be opened");

    Result<HttpAnswer> committed =
        archive.size <= settings_.block_size
            ? PutBlob(archive, blob, file.fd(), stop, bytes_sent)
            : PutBlocks(archive, blob, file.fd(), blocks, stop, bytes_sent);
    if (!committed.ok()) return committed.error();
    DeliveryReceipt receipt;
    receipt.where = {{"kind", "azure-blob"},
                     {"endpoint", settings_.origin + settings_.endpoint_path},
                     {"container", settings_.container},
                     {"blob", blob},
                     {"etag", committed->headers["etag"]},
                     {"size", archive.size}};
    return receipt;
  }

 private:
  // The whole archive in one call, which creates the blob.
  Result<HttpAnswer> PutBlob(const OutgoingArchive& archive, const std::string& blob, int fd,
                             std::stop_token stop, std::atomic<std::uint64_t>& bytes_sent) {
    const FileRange range{fd, 0, archive.size};
    const std::optional<std::string> md5 = RangeMd5(range);
    if (!md5) return Internal("the archive " + archive.name + " cannot be read");
    AzureRequest put{"PUT", blob, {}, {"x-ms-blob-type: BlockBlob", "Content-MD5: " + *md5},
                     {},    range};
    AddBlobProperties(archive, put.headers);
    return Committed(blob,
                     Retry(retry_, stop, [&] { return Call(put, "Put Blob", stop, &bytes_sent); }));
  }

  // Uncommitted blocks, then the block list that makes them the blob. The next
  // block's MD5 is computed while a block is sent.
  Result<HttpAnswer> PutBlocks(const OutgoingArchive& archive, const std::string& blob, int fd,
                               std::uint64_t blocks, std::stop_token stop,
                               std::atomic<std::uint64_t>& bytes_sent) {
    const auto block_range = [&](std::uint64_t index) {
      const std::uint64_t offset = index * settings_.block_size;
      return FileRange{fd, offset, std::min(settings_.block_size, archive.size - offset)};
    };
    auto next_md5 = std::async(std::launch::async, RangeMd5, block_range(0));
    std::string block_list = R"(<?xml version="1.0" encoding="utf-8"?><BlockList>)";
    for (std::uint64_t index = 0; index < blocks; ++index) {
      const FileRange range = block_range(index);
      const std::optional<std::string> md5 = next_md5.get();
      if (!md5) return Internal("the archive " + archive.name + " cannot be read");
      if (index + 1 < blocks)
        next_md5 = std::async(std::launch::async, RangeMd5, block_range(index + 1));
      // Ids of one blob all have the same length: "block-000001" is 16 base64 characters.
      char id[32];
      std::snprintf(id, sizeof id, "block-%06llu", static_cast<unsigned long long>(index));
      const std::string block_id = Base64Encode(std::string_view(id));
      const AzureRequest put{
          "PUT", blob, {{"comp", "block"}, {"blockid", block_id}}, {"Content-MD5: " + *md5},
          {},    range};
      const std::string what =
          "Put Block " + std::to_string(index + 1) + " of " + std::to_string(blocks);
      auto sent = Retry(retry_, stop, [&] { return Call(put, what, stop, &bytes_sent); });
      if (!sent.ok()) return sent.error();  // nothing committed: no blob
      block_list += "<Latest>" + block_id + "</Latest>";
    }
    block_list += "</BlockList>";
    AzureRequest commit{"PUT", blob, {{"comp", "blocklist"}}, {}, block_list, {}};
    AddBlobProperties(archive, commit.headers);
    return Committed(
        blob, Retry(retry_, stop, [&] { return Call(commit, "Put Block List", stop, nullptr); }));
  }

  // The outcome of a committing call. When no definite answer came (kUnavailable: the
  // connection broke, a 5xx, a stop), Azure may have committed all the same, so the
  // blob is deleted, even after a stop; a refusal (4xx) committed nothing.
  Result<HttpAnswer> Committed(const std::string& blob, Result<HttpAnswer> outcome) {
    if (outcome.ok() || outcome.error().code() != ErrorCode::kUnavailable) return outcome;
    const AzureRequest remove{"DELETE", blob, {}, {}, {}, {}};
    auto removed = Call(remove, "Delete Blob", std::stop_token{}, nullptr);
    if (!removed.ok() && !(removed.error().code() == ErrorCode::kInvalidInput &&
                           removed.error().message().find("BlobNotFound") != std::string::npos)) {
      spdlog::warn("event=azure_blob_not_removed container={} blob={} error={}",
                   settings_.container, blob, removed.error().message());
    }
    return outcome;
  }

  // Signs and performs `request`; a non-2xx answer becomes its error. Body bytes are
  // counted in `bytes_sent`, and taken back when the call fails.
  Result<HttpAnswer> Call(const AzureRequest& request, const std::string& operation,
                          std::stop_token stop, std::atomic<std::uint64_t>* bytes_sent) const {
    const std::string path =
        settings_.endpoint_path + "/" + settings_.container +
        (request.blob.empty() ? "" : "/" + PercentEncode(request.blob, Slashes::kKeep));
    std::string query;
    for (const auto& [name, value] : request.query) {
      query += (query.empty() ? "?" : "&") + name + "=" + PercentEncode(value, Slashes::kEncode);
    }
    if (!credentials_.sas_query.empty())
      query += (query.empty() ? "?" : "&") + credentials_.sas_query;

    HttpCall call;
    call.method = request.method;
    call.url = settings_.origin + path + query;
    call.headers = request.headers;
    call.headers.push_back("x-ms-date: " +
                           HttpDate(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count()));
    call.headers.push_back(std::string("x-ms-version: ") + kApiVersion);
    call.body = request.body;
    call.file = request.file;
    call.bytes_sent = bytes_sent;
    if (!credentials_.account_key.empty()) {
      AzureSignedParts parts{request.method,
                             settings_.account,
                             path,
                             request.query,
                             {},
                             request.file ? request.file->length : request.body.size()};
      for (const std::string& header : call.headers) {
        const auto colon = header.find(':');
        parts.headers.emplace_back(header.substr(0, colon), header.substr(colon + 1));
      }
      call.headers.push_back(SharedKeyAuthorization(parts, credentials_.account_key));
    }

    const std::uint64_t before = bytes_sent != nullptr ? bytes_sent->load() : 0;
    const std::string what = "azure-blob " + operation + " " + settings_.container +
                             (request.blob.empty() ? "" : "/" + request.blob);
    auto answer = Perform(call, stop);
    if (!answer.ok()) {
      answer = Error(answer.error().code(), what + ": " + answer.error().message());
    } else if (Status status = StatusOf(*answer, what); !status.ok()) {
      answer = status.error();
    }
    if (!answer.ok() && bytes_sent != nullptr) bytes_sent->store(before);
    return answer;
  }

  const AzureBlobSettings settings_;
  const AzureCredentials credentials_;
  const RetryPolicy retry_;
};

bool ValidContainerName(const std::string& name) {
  static const std::regex kName("[a-z0-9](-?[a-z0-9])*");
  return name.size() >= 3 && name.size() <= 63 && std::regex_match(name, kName);
}

}  // namespace

Result<std::unique_ptr<ArchiveSender>> MakeAzureBlobSender(const nlohmann::json& settings,
                                                           const nlohmann::json& secrets,
                                                           const SenderContext& context) {
  SettingsReader read(settings, "settings");
  AzureBlobSettings azure;
  std::string endpoint = read.RequiredString("endpoint");
  while (endpoint.ends_with('/')) endpoint.pop_back();
  static const std::regex kEndpoint(R"((https?://[^/?#@\s]+)(/[^?#\s]*)?)");
  std::smatch endpoint_parts;
  if (!endpoint.empty() && !std::regex_match(endpoint, endpoint_parts, kEndpoint)) {
    read.Fail("endpoint", "must be an http:// or https:// URL without a query");
  } else if (!endpoint.empty()) {
    azure.origin = endpoint_parts[1].str();
    azure.endpoint_path = endpoint_parts[2].str();
  }
  const auto account = read.TakeString("account");
  static const std::regex kAccount("[a-z0-9]{3,24}");
  if (account && !std::regex_match(*account, kAccount)) {
    read.Fail("account", "must be 3 to 24 lower-case letters and digits");
  }
  azure.account = account.value_or("");
  azure.container = read.RequiredString("container");
  if (!azure.container.empty() && !ValidContainerName(azure.container)) {
    read.Fail("container",
              "must be 3 to 63 lower-case letters, digits and single hyphens, starting and ending "
              "with a letter or digit");
  }
  azure.prefix = read.TakeString("prefix").value_or("");
  azure.block_size =
      static_cast<std::uint64_t>(read.TakeInt("blockSizeMiB", 1, 4000).value_or(16)) * kMiB;
  if (Status status = read.Finish(); !status.ok()) return status.error();

  SettingsReader read_secrets(secrets, "secrets");
  const auto key = read_secrets.TakeString("accountKey");
  const auto sas = read_secrets.TakeString("sasToken");
  AzureCredentials credentials;
  if (key.has_value() == sas.has_value()) {
    read_secrets.Fail("accountKey", "or secrets.sasToken is required, not both");
  } else if (key) {
    const auto decoded = Base64Decode(*key);
    if (!decoded || decoded->empty())
      read_secrets.Fail("accountKey", "must be the account's base64 key");
    if (!account) read_secrets.Fail("accountKey", "needs settings.account");
    credentials.account_key = decoded.value_or("");
  } else {
    credentials.sas_query = sas->starts_with('?') ? sas->substr(1) : *sas;
    if (credentials.sas_query.find("sig=") == std::string::npos ||
        credentials.sas_query.find_first_of("#\r\n ") != std::string::npos) {
      read_secrets.Fail("sasToken", "must be a shared access signature query string (with sig=)");
    }
  }
  if (Status status = read_secrets.Finish(); !status.ok()) return status.error();
  return std::unique_ptr<ArchiveSender>(
      std::make_unique<AzureBlobSender>(std::move(azure), std::move(credentials), context.retry));
}

}  // namespace pacsport::delivery
