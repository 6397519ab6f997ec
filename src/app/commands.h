// The CLI's commands. Each returns the process exit code (0 only on success) and
// reports errors on stderr; none reads stdin except `user add` (the password).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "export/export_request.h"

namespace pacsport {

struct ServeOptions {
  std::filesystem::path data;
  std::optional<std::filesystem::path> config;
  std::optional<std::string> listen;
  bool demo = false;
};

struct ExportCommandOptions {
  std::filesystem::path data;
  std::optional<std::filesystem::path> config;
  std::string hospital;
  ExportRequest request;  // request.options.deidentify: with the data directory's project keys
  std::string output;     // "-" or empty: stdout
};

struct AuditCommandOptions {
  std::filesystem::path data;
  std::string hospital;  // empty: every hospital
  std::string user;
  std::string outcome;
  std::int64_t limit = 100;
};

// `audit verify`: walks the audit chain (index/audit_chain_verifier.h). Exit code 0
// when it holds, 1 at the first record changed, removed or reordered.
struct AuditVerifyOptions {
  std::filesystem::path data;
  std::optional<std::filesystem::path> key;  // a public key file; default the directory's
};

// `preview`: renders every frame of every file in `workers` worker processes (0: one
// per core), as many files at a time. Exit code 2 when some file has no preview
// (each listed on stderr).
struct PreviewOptions {
  std::vector<std::string> files;
  std::optional<std::filesystem::path> out;  // writes OUT/<file stem>_frame_K.png
  uint32_t size = 0;                         // longest side of a PNG; 0: stored size
  int workers = 0;
};

// `verify`: checks an export archive offline. Exit code 0 when verified, 1 naming the
// first problem (a changed entry or receipt, a foreign key, not a ZIP archive), 2 when
// the archive or the key file cannot be read.
struct VerifyOptions {
  std::filesystem::path archive;
  std::optional<std::filesystem::path> key;  // the hospital's published public key
};

int RunServe(const ServeOptions& options);
int RunHospitalAdd(const std::filesystem::path& data, const std::string& name);
int RunUserAdd(const std::filesystem::path& data, const std::string& hospital,
               const std::string& role, const std::string& username);
int RunToken(const std::filesystem::path& data, const std::optional<std::filesystem::path>& config,
             const std::string& username, std::int64_t ttl_seconds);
int RunImport(const std::filesystem::path& data, const std::optional<std::filesystem::path>& config,
              const std::string& hospital, const std::vector<std::string>& paths);
int RunExport(const ExportCommandOptions& options);
int RunSync(const std::filesystem::path& data, const std::optional<std::filesystem::path>& config);
int RunAudit(const AuditCommandOptions& options);
int RunAuditVerify(const AuditVerifyOptions& options);
// Copies DIR's embedded index into the empty PostgreSQL index at `to` and checks the copy.
int RunMigrateIndex(const std::filesystem::path& from, const std::string& to);
int RunPreview(const PreviewOptions& options);
int RunVerify(const VerifyOptions& options);

// Prints "pacsport: <message>" to stderr and returns 1.
int Fail(const std::string& message);
inline int Fail(const Error& error) { return Fail(error.message()); }

}  // namespace pacsport
