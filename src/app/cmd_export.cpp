// export study|series|patient ID: the same bytes as the API, to a file or stdout, audited.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "app/commands.h"
#include "app/data_directory.h"
#include "app/deidentify_keys.h"
#include "app/pacs_sources.h"
#include "dicom/initialize.h"
#include "export/export_service.h"
#include "preview/preview_pool.h"

namespace pacsport {
namespace fs = std::filesystem;
namespace {

// Writes to a FILE*; an error (disk full) is final.
class FileSink : public ByteSink {
 public:
  explicit FileSink(std::FILE* file) : file_(file) {}
  Status Write(const char* data, size_t size) override {
    if (std::fwrite(data, 1, size, file_) != size) return Unavailable("cannot write the output");
    return Status::Ok();
  }

 private:
  std::FILE* file_;
};

// Delivers to stdout.
Status DeliverToStdout(ExportSession& session) {
  FileSink sink(stdout);
  Status status = session.Deliver(sink);
  if (std::fflush(stdout) != 0 && status.ok()) return Unavailable("cannot write to stdout");
  return status;
}

// Delivers to OUTPUT.part, then renames it to OUTPUT: a failed export leaves no file
// that could be mistaken for a complete one.
Status DeliverToFile(ExportSession& session, const fs::path& output) {
  const fs::path partial = output.string() + ".part";
  std::FILE* file = std::fopen(partial.c_str(), "wb");
  if (file == nullptr) return Unavailable("cannot create " + partial.string());
  FileSink sink(file);
  Status status = session.Deliver(sink);
  const bool flushed = std::fflush(file) == 0 && ::fsync(::fileno(file)) == 0;
  const bool closed = std::fclose(file) == 0;
  if (status.ok() && !(flushed && closed)) status = Unavailable("cannot write " + partial.string());
  std::error_code ec;
  if (status.ok()) fs::rename(partial, output, ec);
  if (!status.ok() || ec) {
    fs::remove(partial, ec);
    return status.ok() ? Unavailable("cannot rename to " + output.string()) : status;
  }
  return status;
}

}  // namespace

int RunExport(const ExportCommandOptions& options) {
  // stdout may hold the archive: log records (a preview worker's stderr) go to stderr.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("export"));
  dicom::Initialize();
  auto config = LoadConfig(options.config);
  if (!config.ok()) return Fail(config.error());
  auto dir = DataDirectory::Open(options.data, config->index_url);
  if (!dir.ok()) return Fail(dir.error());
  auto hospital = (*dir)->index().FindHospital(options.hospital);
  if (!hospital.ok()) return Fail(hospital.error());

  // The CLI acts as the hospital's administrator, on behalf of the local OS user.
  const char* login = ::getlogin();
  Principal principal{std::string("cli:") + (login ? login : std::to_string(::getuid())),
                      hospital->id, hospital->name, Role::kAdmin};
  auto sources = PacsSources::Open(*config, **dir);
  if (!sources.ok()) return Fail(sources.error());
  config->preview.worker_executable = preview::DefaultWorkerExecutable();
  auto previews = preview::PreviewPool::Create(config->preview);
  if (!previews.ok()) return Fail(previews.error());
  ExportServiceLimits limits;
  if (options.request.options.deidentify) {
    auto keys = OpenDeidentifyKeys(config->deidentify, options.data);
    if (!keys.ok()) return Fail(keys.error());
    limits.deidentify_keys = std::make_shared<const deid::ProjectKeys>(std::move(*keys));
  }
  ExportService exports((*dir)->index(), (*sources)->router(), **previews, limits,
                        (*dir)->signing_key());
  const ExportAttempt attempt{
      "local", std::string("CLI export ") + std::string(ScopeName(options.request.scope)),
      options.request.target, DescribeOptions(options.request.options)};
  auto session = exports.Begin(attempt, principal, options.request);
  if (!session.ok()) return Fail(session.error());

  const bool to_stdout = options.output.empty() || options.output == "-";
  Status status = to_stdout ? DeliverToStdout(**session) : DeliverToFile(**session, options.output);
  if (!status.ok()) return Fail(status.error());
  if (!to_stdout) std::cerr << "wrote " << options.output << "\n";
  return 0;
}

}  // namespace pacsport
