// audit_chain [RECORDS] [STUDIES_PER_RECORD]: what sealing the audit trail costs
// (index/audit_chain.h). Opens, lists the studies of and completes RECORDS records in
// a fresh SQLite index two ways, side by side: sealed and signed (the server) and
// sealed without a key; times the Ed25519 signatures alone; then `audit verify` over
// the signed chain. One thread, the index on the temporary directory's disk.
#include "index/audit_chain.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "auth/signing_key.h"
#include "index/audit_chain_verifier.h"
#include "index/index.h"

namespace fs = std::filesystem;
using namespace pacsport;

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Runs `records` export records through `index`; returns the seconds taken.
double Fill(Index& index, int records, int studies) {
  const auto started = Clock::now();
  for (int i = 0; i < records; ++i) {
    AuditRecord record;
    record.username = "bench";
    record.role = "user";
    record.scope = "patient";
    record.target = "PID-" + std::to_string(i);
    record.parameters = R"({"includeImages":true})";
    const RowId id = index.OpenAudit(record).ValueOrThrow();
    std::vector<AuditStudy> listed;
    for (int s = 0; s < studies; ++s) {
      listed.push_back(
          {"1.2.826.0.1." + std::to_string(i) + "." + std::to_string(s), record.target});
    }
    index.AddAuditStudies(id, listed).ThrowIfError();
    AuditCompletion done;
    done.bytes_sent = 123456789;
    done.content_sha256 = std::string(64, 'a');
    index.CompleteAudit(id, done).ThrowIfError();
  }
  return Seconds(started);
}

}  // namespace

int main(int argc, char** argv) {
  const int records = argc > 1 ? std::atoi(argv[1]) : 5000;
  const int studies = argc > 2 ? std::atoi(argv[2]) : 3;
  const fs::path dir =
      fs::temp_directory_path() / ("pacsport-audit-bench-" + std::to_string(getpid()));
  fs::create_directories(dir);
  auto key = std::make_shared<const auth::SigningKey>(
      auth::SigningKey::LoadOrCreate(dir / "key").ValueOrThrow());

  auto signed_index = OpenSqliteIndex((dir / "signed.sqlite").string()).ValueOrThrow();
  signed_index->SetAuditSigner(key);
  const double signed_seconds = Fill(*signed_index, records, studies);
  auto unsigned_index = OpenSqliteIndex((dir / "unsigned.sqlite").string()).ValueOrThrow();
  const double unsigned_seconds = Fill(*unsigned_index, records, studies);

  const auto verify_started = Clock::now();
  const AuditChainReport report =
      VerifyAuditChain(*signed_index, &key->public_key()).ValueOrThrow();
  const double verify_seconds = Seconds(verify_started);

  const auto sign_started = Clock::now();
  for (int i = 0; i < records; ++i) key->Sign(AuditSealMessage(i, std::string(64, 'f')));
  const double sign_seconds = Seconds(sign_started);

  std::printf("records %d, studies per record %d\n", records, studies);
  std::printf("%-34s %10s %12s\n", "", "seconds", "us/record");
  auto row = [&](const char* what, double seconds) {
    std::printf("%-34s %10.3f %12.1f\n", what, seconds, seconds * 1e6 / records);
  };
  row("open+studies+complete, signed", signed_seconds);
  row("open+studies+complete, unsigned", unsigned_seconds);
  row("Ed25519 signature alone", sign_seconds);
  row("audit verify (hash+signature)", verify_seconds);
  std::printf("verified %lld records, problem: %s\n", static_cast<long long>(report.records),
              report.problem ? report.problem->what.c_str() : "none");
  fs::remove_all(dir);
  return report.problem || report.records != records ? 1 : 0;
}
