#include "audit/audit_archiver.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/digest.h"
#include "index/audit_chain.h"

namespace pacsport::audit {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

constexpr std::size_t kRecordsPerRead = 500;
constexpr std::size_t kFlushBytes = std::size_t{1} << 20;

Error WriteError(const fs::path& path) {
  return Unavailable("cannot write the audit archive " + path.string() + ": " +
                     std::strerror(errno));
}

// A file written whole or not at all: under a temporary name, synced, renamed, and
// its directory synced. Hashes what it writes.
class DurableFile {
 public:
  explicit DurableFile(fs::path path)
      : path_(std::move(path)), partial_(path_.string() + ".partial") {}
  ~DurableFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!renamed_) ::unlink(partial_.c_str());
  }

  Status Open() {
    fd_ = ::open(partial_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    return fd_ >= 0 ? Status::Ok() : Status(WriteError(partial_));
  }
  Status Append(std::string_view text) {
    buffer_ += text;
    return buffer_.size() >= kFlushBytes ? Flush() : Status::Ok();
  }
  Status Commit() {
    if (Status flushed = Flush(); !flushed.ok()) return flushed;
    if (::fsync(fd_) != 0) return WriteError(partial_);
    ::close(fd_);
    fd_ = -1;
    if (::rename(partial_.c_str(), path_.c_str()) != 0) return WriteError(path_);
    renamed_ = true;
    const int dir = ::open(path_.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const bool synced = dir >= 0 && ::fsync(dir) == 0;
    if (dir >= 0) ::close(dir);
    return synced ? Status::Ok() : Status(WriteError(path_.parent_path()));
  }
  std::string Sha256() { return hash_.FinishHex(); }

 private:
  Status Flush() {
    hash_.Update(buffer_.data(), buffer_.size());
    for (std::size_t done = 0; done < buffer_.size();) {
      const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return WriteError(partial_);
      done += static_cast<std::size_t>(n);
    }
    buffer_.clear();
    return Status::Ok();
  }

  const fs::path path_;
  const fs::path partial_;
  int fd_ = -1;
  bool renamed_ = false;
  std::string buffer_;
  pacsport::Sha256 hash_;
};

std::string ArchiveLine(const AuditRecord& record, const std::vector<AuditStudy>& studies) {
  json listed = json::array();
  for (const AuditStudy& study : studies) listed.push_back({study.study_uid, study.patient_id});
  const json line = {{"chainSeq", *record.chain_seq},
                     {"content", AuditContent(record, AuditStudiesHash(studies))},
                     {"studies", listed},
                     {"prevHash", record.prev_hash},
                     {"recordHash", record.record_hash},
                     {"keyId", record.key_id},
                     {"signature", record.signature}};
  return line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace

Result<std::int64_t> AuditArchiver::ArchiveDue(SystemTime now) {
  const std::string cutoff = Iso8601(now - retention_);
  std::int64_t total = 0;
  for (;;) {
    auto archived = ArchiveOneFile(cutoff);
    if (!archived.ok()) return archived.error();
    total += *archived;
    if (*archived < kMaxRecordsPerFile) return total;
  }
}

Result<std::int64_t> AuditArchiver::ArchiveOneFile(const std::string& cutoff) {
  auto anchor = index_.LastAuditArchive();
  if (!anchor.ok()) return anchor.error();
  const std::int64_t first = *anchor ? (*anchor)->through_seq + 1 : 1;
  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) return Unavailable("cannot create " + directory_.string() + ": " + ec.message());

  std::optional<DurableFile> file;
  fs::path path;
  AuditRecord last;
  std::int64_t count = 0;
  // Due records, in chain order, until the first that is not (or a gap, which
  // `audit verify` reports: nothing past it is archived).
  for (bool more = true; more && count < kMaxRecordsPerFile;) {
    auto records = index_.ListSealedAudit(first - 1 + count, kRecordsPerRead);
    if (!records.ok()) return records.error();
    more = !records->empty();
    for (const AuditRecord& record : *records) {
      if (record.started_at >= cutoff || *record.chain_seq != first + count ||
          count == kMaxRecordsPerFile) {
        more = false;
        break;
      }
      if (!file) {
        // Named by its first record; the last is known once written: renamed then.
        path = directory_ / ("audit-" + std::to_string(first) + ".jsonl");
        file.emplace(path);
        if (Status opened = file->Open(); !opened.ok()) return opened.error();
      }
      auto studies = ReadAuditStudies(index_, record.id);
      if (!studies.ok()) return studies.error();
      if (Status s = file->Append(ArchiveLine(record, *studies)); !s.ok()) return s.error();
      last = record;
      ++count;
    }
  }
  if (count == 0) return std::int64_t{0};
  if (Status committed = file->Commit(); !committed.ok()) return committed.error();
  const std::string name =
      "audit-" + std::to_string(first) + "-" + std::to_string(*last.chain_seq) + ".jsonl";
  if (std::rename(path.c_str(), (directory_ / name).c_str()) != 0) return WriteError(path);
  AuditArchive archive{*last.chain_seq,
                       last.record_hash,
                       name,
                       file->Sha256(),
                       count,
                       Iso8601(std::chrono::system_clock::now())};
  if (Status recorded = index_.RecordAuditArchive(archive); !recorded.ok()) {
    return recorded.error();
  }
  return count;
}

std::jthread StartAuditRetention(Index& index, const fs::path& directory,
                                 std::chrono::seconds retention, std::chrono::seconds interval) {
  if (retention.count() <= 0) return {};
  return std::jthread([&index, directory, retention, interval](std::stop_token stop) {
    AuditArchiver archiver(index, directory, retention);
    std::mutex mutex;
    std::condition_variable_any wake;
    do {
      auto archived = archiver.ArchiveDue(std::chrono::system_clock::now());
      if (!archived.ok()) {
        spdlog::error("event=audit_archive_failed error={}", archived.error().message());
      } else if (*archived > 0) {
        spdlog::info("event=audit_archived records={} directory={}", *archived, directory.string());
      }
      std::unique_lock lock(mutex);
      wake.wait_for(lock, stop, interval, [] { return false; });
    } while (!stop.stop_requested());
  });
}

Result<AuditChainReport> VerifyAuditArchives(const fs::path& directory,
                                             const std::optional<AuditArchive>& anchor,
                                             const SignatureChecker* key) {
  static const std::regex kName(R"(audit-(\d+)-(\d+)\.jsonl)");
  std::vector<std::pair<std::int64_t, fs::path>> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(directory, ec)) {
    std::smatch match;
    const std::string name = entry.path().filename().string();
    if (std::regex_match(name, match, kName))
      files.emplace_back(std::stoll(match[1]), entry.path());
  }
  std::sort(files.begin(), files.end());

  AuditChainReport report;
  report.first_seq = 1;
  std::int64_t expected_seq = 1;
  std::string expected_prev;
  auto broken = [&](std::int64_t seq, RowId id, std::string what) {
    report.problem = AuditChainProblem{id, seq, std::move(what)};
    return report;
  };
  for (const auto& [first, path] : files) {
    std::ifstream in(path);
    if (!in) return Unavailable("cannot read " + path.string());
    std::string text;
    while (std::getline(in, text)) {
      const json line = json::parse(text, nullptr, false);
      if (!line.is_object() || !line.contains("content") || !line["content"].is_string()) {
        return broken(expected_seq, 0, path.filename().string() + " has a malformed line");
      }
      const std::string content = line["content"].get<std::string>();
      const json fields = json::parse(content, nullptr, false);
      const std::int64_t seq = fields.value("chainSeq", std::int64_t{0});
      const RowId id = fields.value("id", RowId{0});
      std::vector<AuditStudy> studies;
      for (const json& study : line.value("studies", json::array())) {
        if (study.is_array() && study.size() == 2 && study[0].is_string() && study[1].is_string()) {
          studies.push_back({study[0].get<std::string>(), study[1].get<std::string>()});
        }
      }
      const std::string prev = line.value("prevHash", "");
      const std::string hash = line.value("recordHash", "");
      if (seq != expected_seq) {
        return broken(seq, id,
                      "the archives do not hold chain seq " + std::to_string(expected_seq));
      }
      if (prev != expected_prev) {
        return broken(seq, id, "it does not follow the record before it");
      }
      if (fields.value("studiesSha256", "") != AuditStudiesHash(studies) ||
          Sha256Hex(prev + "\n" + content) != hash) {
        return broken(seq, id, "its content or its studies were changed after it was sealed");
      }
      if (key != nullptr &&
          (line.value("keyId", "") != key->id() ||
           !key->Verify(AuditSealMessage(seq, hash), line.value("signature", "")))) {
        return broken(seq, id, "its signature does not hold for key " + key->id());
      }
      ++report.records;
      report.head_seq = seq;
      report.head_hash = hash;
      expected_seq = seq + 1;
      expected_prev = hash;
    }
  }
  const std::int64_t anchored = anchor ? anchor->through_seq : 0;
  if (report.head_seq != anchored || (anchor && report.head_hash != anchor->last_hash)) {
    return broken(report.head_seq, 0,
                  "the archives end at chain seq " + std::to_string(report.head_seq) +
                      " but the index continues after " + std::to_string(anchored));
  }
  return report;
}

}  // namespace pacsport::audit
