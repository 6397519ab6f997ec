#include "delivery/s3_sender.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "delivery/http_call.h"
#include "delivery/retry.h"
#include "delivery/s3_request.h"
#include "delivery/settings_reader.h"

namespace pacsport::delivery {
namespace {

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
constexpr std::uint64_t kMaxParts = 10000;  // S3's limit per upload
// SHA-256 of an empty body.
constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct S3Settings {
  S3Bucket bucket;
  std::string region;
  std::string prefix;
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::uint64_t part_size = 16 * kMiB;
};

class ReadOnlyFile {
 public:
  explicit ReadOnlyFile(const std::filesystem::path& path)
      : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~ReadOnlyFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

bool PrintableAscii(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

std::string Unquoted(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  return etag;
}

class S3Sender final : public ArchiveSender {
 public:
  S3Sender(S3Settings settings, RetryPolicy retry)
      : settings_(std::move(settings)), retry_(retry) {}

  Status Check(std::stop_token stop) override;
  Result<DeliveryReceipt> Send(const OutgoingArchive& archive, std::stop_token stop,
                               std::atomic<std::uint64_t>& bytes_sent) override;

 private:
  // A body read from the archive file, with its digests.
  struct Body {
    FileRange range;
    BodyDigests digests;
  };

  // One signed request. `what` names the operation, the endpoint and the bucket in
  // errors; the object's URL is left out, since its key may hold a patient ID.
  Result<HttpAnswer> Perform(HttpCall call, const std::string& payload_sha256,
                             const std::string& what, std::stop_token stop) const;
  // One PUT of `body` to `url` whose ETag is checked; the ETag. Bytes sent are added
  // to `bytes_sent` and taken back when the attempt fails. `stored_wrong` is set when
  // the store kept a body that differs from the file.
  Result<std::string> PutOnce(const std::string& url, const Body& body,
                              std::vector<std::string> headers, const std::string& what,
                              std::stop_token stop, std::atomic<std::uint64_t>& bytes_sent,
                              bool& stored_wrong) const;
  Result<DeliveryReceipt> SendWhole(const OutgoingArchive& archive, const std::string& key, int fd,
                                    std::stop_token stop,
                                    std::atomic<std::uint64_t>& bytes_sent) const;
  Result<DeliveryReceipt> SendInParts(const OutgoingArchive& archive, const std::string& key,
                                      int fd, std::stop_token stop,
                                      std::atomic<std::uint64_t>& bytes_sent) const;
  Result<std::string> UploadParts(const OutgoingArchive& archive, const std::string& key,
                                  const std::string& upload_id, int fd, std::stop_token stop,
                                  std::atomic<std::uint64_t>& bytes_sent) const;
  Result<std::string> Complete(const std::string& key, const std::string& upload_id,
                               const std::vector<std::string>& etags, std::stop_token stop) const;
  // Best effort, retried even after a stop; a failure is logged.
  void Abort(const std::string& key, const std::string& upload_id) const;
  void Remove(const std::string& key) const;

  // The headers every new object gets.
  std::vector<std::string> ObjectHeaders(const OutgoingArchive& archive) const;
  std::string What(const std::string& operation) const {
    return "S3 " + operation + " at " + settings_.bucket.endpoint + " in bucket " +
           settings_.bucket.bucket;
  }
  DeliveryReceipt Receipt(const std::string& key, const std::string& etag,
                          std::uint64_t size) const;
  // The configured part size, grown when the archive would need over kMaxParts parts.
  std::uint64_t PartSize(std::uint64_t archive_size) const;
  RetryPolicy CleanupRetry() const {
    RetryPolicy policy = retry_;
    policy.attempts = std::min(policy.attempts, 3);
    return policy;
  }

  const S3Settings settings_;
  const RetryPolicy retry_;
};

Result<HttpAnswer> S3Sender::Perform(HttpCall call, const std::string& payload_sha256,
                                     const std::string& what, std::stop_token stop) const {
  call.aws_sigv4 = "aws:amz:" + settings_.region + ":s3";
  call.user_password = settings_.access_key_id + ":" + settings_.secret_access_key;
  call.headers.push_back("x-amz-content-sha256: " + payload_sha256);
  if (!settings_.session_token.empty()) {
    call.headers.push_back("x-amz-security-token: " + settings_.session_token);
  }
  auto answer = delivery::Perform(call, stop);
  if (answer.ok()) return answer;
  // Perform's message begins with the method and the URL; keep only the reason.
  const std::string named = call.method + " " + WithoutQuery(call.url) + ": ";
  std::string reason = answer.error().message();
  if (reason.starts_with(named)) reason = reason.substr(named.size());
  return Error(answer.error().code(), what + ": " + reason);
}

Result<std::string> S3Sender::PutOnce(const std::string& url, const Body& body,
                                      std::vector<std::string> headers, const std::string& what,
                                      std::stop_token stop, std::atomic<std::uint64_t>& bytes_sent,
                                      bool& stored_wrong) const {
  const std::uint64_t before = bytes_sent.load();
  const auto take_back = [&](Error error) -> Error {
    bytes_sent -= bytes_sent.load() - before;
    return error;
  };
  HttpCall call;
  call.method = "PUT";
  call.url = url;
  call.file = body.range;
  call.bytes_sent = &bytes_sent;
  call.headers = std::move(headers);
  call.headers.push_back("Content-MD5: " + body.digests.md5_base64);
  auto answer = Perform(std::move(call), body.digests.sha256_hex, what, stop);
  if (!answer.ok()) return take_back(answer.error());
  if (answer->status < 200 || answer->status > 299) return take_back(S3Failure(what, *answer));
  const std::string etag = Unquoted(answer->headers["etag"]);
  // SSE-KMS ETags are no MD5s; S3 itself checked Content-MD5 then.
  const bool kms = answer->headers["x-amz-server-side-encryption"].starts_with("aws:kms");
  if (!kms && etag != body.digests.md5_hex) {
    stored_wrong = true;
    return take_back(Unavailable(what + ": the store answered ETag " + etag +
                                 " for a body whose MD5 is " + body.digests.md5_hex +
                                 ": the body changed on the way"));
  }
  return etag;
}

std::vector<std::string> S3Sender::ObjectHeaders(const OutgoingArchive& archive) const {
  return {"Content-Type: " + (archive.content_type.empty() ? std::string("application/octet-stream")
                                                           : archive.content_type),
          "x-amz-meta-sha256: " + archive.sha256};
}

DeliveryReceipt S3Sender::Receipt(const std::string& key, const std::string& etag,
                                  std::uint64_t size) const {
  DeliveryReceipt receipt;
  receipt.where = {{"kind", "s3"},
                   {"endpoint", settings_.bucket.endpoint},
                   {"bucket", settings_.bucket.bucket},
                   {"key", key},
                   {"etag", etag},
                   {"size", size}};
  return receipt;
}

std::uint64_t S3Sender::PartSize(std::uint64_t archive_size) const {
  const std::uint64_t needed = (archive_size + kMaxParts - 1) / kMaxParts;
  return std::max(settings_.part_size, (needed + kMiB - 1) / kMiB * kMiB);
}

Status S3Sender::Check(std::stop_token stop) {
  HttpCall call;
  call.url = settings_.bucket.BucketUrl(CanonicalQuery({{"list-type", "2"}, {"max-keys", "0"}}));
  const std::string what = What("ListObjectsV2");
  auto answer = Perform(std::move(call), kEmptySha256, what, stop);
  if (!answer.ok()) return answer.error();
  if (answer->status != 200) return S3Failure(what, *answer);
  return Status::Ok();
}

Result<DeliveryReceipt> S3Sender::Send(const OutgoingArchive& archive, std::stop_token stop,
                                       std::atomic<std::uint64_t>& bytes_sent) {
  const std::string key = ObjectName(settings_.prefix, archive);
  ReadOnlyFile file(archive.path);
  if (file.fd() < 0)
    return Internal("the archive of job " + archive.job_id + " could not be opened");
  if (archive.size <= settings_.part_size)
    return SendWhole(archive, key, file.fd(), stop, bytes_sent);
  return SendInParts(archive, key, file.fd(), stop, bytes_sent);
}

Result<DeliveryReceipt> S3Sender::SendWhole(const OutgoingArchive& archive, const std::string& key,
                                            int fd, std::stop_token stop,
                                            std::atomic<std::uint64_t>& bytes_sent) const {
  const FileRange range{fd, 0, archive.size};
  auto digests = DigestOf(range);
  if (!digests.ok()) return digests.error();
  const Body body{range, *digests};
  bool stored_wrong = false;
  auto etag = Retry(retry_, stop, [&] {
    return PutOnce(settings_.bucket.ObjectUrl(key), body, ObjectHeaders(archive), What("PutObject"),
                   stop, bytes_sent, stored_wrong);
  });
  if (!etag.ok()) {
    if (stored_wrong) Remove(key);
    return etag.error();
  }
  return Receipt(key, *etag, archive.size);
}

Result<DeliveryReceipt> S3Sender::SendInParts(const OutgoingArchive& archive,
                                              const std::string& key, int fd, std::stop_token stop,
                                              std::atomic<std::uint64_t>& bytes_sent) const {
  const std::string what = What("CreateMultipartUpload");
  auto upload_id = Retry(retry_, stop, [&]() -> Result<std::string> {
    HttpCall call;
    call.method = "POST";
    call.url = settings_.bucket.ObjectUrl(key, CanonicalQuery({{"uploads", ""}}));
    call.headers = ObjectHeaders(archive);
    auto answer = Perform(std::move(call), kEmptySha256, what, stop);
    if (!answer.ok()) return answer.error();
    if (answer->status != 200) return S3Failure(what, *answer);
    auto id = XmlElementText(answer->body, "UploadId");
    if (!id || id->empty()) return Unavailable(what + ": the answer holds no UploadId");
    return *id;
  });
  if (!upload_id.ok()) return upload_id.error();
  auto etag = UploadParts(archive, key, *upload_id, fd, stop, bytes_sent);
  if (!etag.ok()) {
    Abort(key, *upload_id);
    return etag.error();
  }
  return Receipt(key, *etag, archive.size);
}

Result<std::string> S3Sender::UploadParts(const OutgoingArchive& archive, const std::string& key,
                                          const std::string& upload_id, int fd,
                                          std::stop_token stop,
                                          std::atomic<std::uint64_t>& bytes_sent) const {
  const std::uint64_t part_size = PartSize(archive.size);
  const std::string what = What("UploadPart");
  std::vector<std::string> etags;
  for (std::uint64_t offset = 0; offset < archive.size; offset += part_size) {
    if (stop.stop_requested()) return Unavailable(what + ": stopped");
    const FileRange range{fd, offset, std::min(part_size, archive.size - offset)};
    auto digests = DigestOf(range);
    if (!digests.ok()) return digests.error();
    const Body body{range, *digests};
    const std::string url = settings_.bucket.ObjectUrl(
        key, CanonicalQuery(
                 {{"partNumber", std::to_string(etags.size() + 1)}, {"uploadId", upload_id}}));
    bool stored_wrong = false;  // a part sent again replaces the wrong one
    auto etag = Retry(retry_, stop, [&] {
      return PutOnce(url, body, {"Content-Type: application/octet-stream"}, what, stop, bytes_sent,
                     stored_wrong);
    });
    if (!etag.ok()) return etag.error();
    etags.push_back(*etag);
  }
  return Retry(retry_, stop, [&] { return Complete(key, upload_id, etags, stop); });
}

Result<std::string> S3Sender::Complete(const std::string& key, const std::string& upload_id,
                                       const std::vector<std::string>& etags,
                                       std::stop_token stop) const {
  const std::string what = What("CompleteMultipartUpload");
  HttpCall call;
  call.method = "POST";
  call.url = settings_.bucket.ObjectUrl(key, CanonicalQuery({{"uploadId", upload_id}}));
  std::vector<std::string> quoted;
  for (const std::string& etag : etags) quoted.push_back("\"" + etag + "\"");
  call.body = CompleteMultipartXml(quoted);
  call.headers = {"Content-Type: application/xml"};
  const std::string sha256 = DigestOf(call.body).sha256_hex;
  auto answer = Perform(std::move(call), sha256, what, stop);
  if (!answer.ok()) return answer.error();
  if (answer->status != 200) return S3Failure(what, *answer);
  // S3 may answer 200 and then report a failure in the body.
  if (answer->body.find("<Error>") != std::string::npos) {
    HttpAnswer failed = *answer;
    const auto code = XmlElementText(failed.body, "Code").value_or("");
    failed.status = (code == "InternalError" || code == "SlowDown") ? 503 : 400;
    return S3Failure(what, failed);
  }
  return Unquoted(XmlElementText(answer->body, "ETag").value_or(""));
}

void S3Sender::Abort(const std::string& key, const std::string& upload_id) const {
  const std::string what = What("AbortMultipartUpload");
  const Status aborted = Retry(CleanupRetry(), std::stop_token(), [&]() -> Status {
    HttpCall call;
    call.method = "DELETE";
    call.url = settings_.bucket.ObjectUrl(key, CanonicalQuery({{"uploadId", upload_id}}));
    auto answer = Perform(std::move(call), kEmptySha256, what, std::stop_token());
    if (!answer.ok()) return answer.error();
    if (answer->status == 404 || (answer->status >= 200 && answer->status <= 299))
      return Status::Ok();
    return S3Failure(what, *answer);
  });
  if (!aborted.ok()) {
    spdlog::warn("{}; the upload's parts stay until the bucket's lifecycle rule removes them",
                 aborted.error().message());
  }
}

void S3Sender::Remove(const std::string& key) const {
  const std::string what = What("DeleteObject");
  const Status removed = Retry(CleanupRetry(), std::stop_token(), [&]() -> Status {
    HttpCall call;
    call.method = "DELETE";
    call.url = settings_.bucket.ObjectUrl(key);
    auto answer = Perform(std::move(call), kEmptySha256, what, std::stop_token());
    if (!answer.ok()) return answer.error();
    if (answer->status == 404 || (answer->status >= 200 && answer->status <= 299))
      return Status::Ok();
    return S3Failure(what, *answer);
  });
  if (!removed.ok()) spdlog::warn("{}; a damaged object stays", removed.error().message());
}

Result<S3Settings> ReadS3Settings(const nlohmann::json& settings, const nlohmann::json& secrets) {
  S3Settings s3;
  SettingsReader reader(settings, "settings");
  const auto endpoint = reader.TakeString("endpoint");
  s3.region = reader.RequiredString("region");
  s3.bucket.bucket = reader.RequiredString("bucket");
  s3.prefix = reader.TakeString("prefix").value_or("");
  const auto addressing = reader.TakeString("addressing");
  s3.access_key_id = reader.RequiredString("accessKeyId");
  s3.part_size =
      static_cast<std::uint64_t>(reader.TakeInt("partSizeMiB", 5, 5120).value_or(16)) * kMiB;

  const bool region_ok = std::all_of(s3.region.begin(), s3.region.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
  if (!region_ok) reader.Fail("region", "must be a region name such as eu-west-1");
  if (auto problem = S3BucketNameProblem(s3.bucket.bucket); problem && !s3.bucket.bucket.empty()) {
    reader.Fail("bucket", *problem);
  }
  if (endpoint) {
    auto parsed = ParseS3Endpoint(*endpoint);
    if (parsed.ok()) {
      s3.bucket.endpoint = *parsed;
    } else {
      reader.Fail("endpoint", parsed.error().message());
    }
  } else {
    s3.bucket.endpoint = "https://s3." + s3.region + ".amazonaws.com";
  }
  if (!addressing) {
    s3.bucket.addressing = endpoint ? S3Addressing::kPath : S3Addressing::kVirtual;
  } else if (*addressing == "path" || *addressing == "virtual") {
    s3.bucket.addressing = *addressing == "path" ? S3Addressing::kPath : S3Addressing::kVirtual;
  } else {
    reader.Fail("addressing", "must be \"path\" or \"virtual\"");
  }
  if (s3.prefix.starts_with("/") || s3.prefix.size() > 512 ||
      std::any_of(s3.prefix.begin(), s3.prefix.end(),
                  [](char c) { return static_cast<unsigned char>(c) < ' ' || c == 0x7f; })) {
    reader.Fail("prefix", "must not start with '/', hold control characters or exceed 512 bytes");
  }
  if (!s3.access_key_id.empty() &&
      (!PrintableAscii(s3.access_key_id) || s3.access_key_id.find(':') != std::string::npos)) {
    reader.Fail("accessKeyId", "must be printable ASCII without ':' or spaces");
  }
  if (Status read = reader.Finish(); !read.ok()) return read.error();

  SettingsReader secret_reader(secrets, "secrets");
  s3.secret_access_key = secret_reader.RequiredString("secretAccessKey");
  s3.session_token = secret_reader.TakeString("sessionToken").value_or("");
  if (!PrintableAscii(s3.secret_access_key)) {
    secret_reader.Fail("secretAccessKey", "must be printable ASCII without spaces");
  }
  if (!PrintableAscii(s3.session_token)) {
    secret_reader.Fail("sessionToken", "must be printable ASCII without spaces");
  }
  if (Status read = secret_reader.Finish(); !read.ok()) return read.error();
  return s3;
}

}  // namespace

Result<std::unique_ptr<ArchiveSender>> MakeS3Sender(const nlohmann::json& settings,
                                                    const nlohmann::json& secrets,
                                                    const SenderContext& context) {
  auto s3 = ReadS3Settings(settings, secrets);
  if (!s3.ok()) return s3.error();
  return std::unique_ptr<ArchiveSender>(std::make_unique<S3Sender>(std::move(*s3), context.retry));
}

}  // namespace pacsport::delivery
