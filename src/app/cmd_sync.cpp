// sync: one pass over every configured Orthanc source, reconciling each with the
// index (what `serve` does at start-up), and a line per source on stdout.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "app/commands.h"
#include "app/data_directory.h"
#include "app/pacs_sources.h"
#include "dicom/initialize.h"

namespace pacsport {

int RunSync(const std::filesystem::path& data,
            const std::optional<std::filesystem::path>& config_file) {
  auto config = LoadConfig(config_file);
  if (!config.ok()) return Fail(config.error());
  auto dir = DataDirectory::Open(data, config->index_url);
  if (!dir.ok()) return Fail(dir.error());
  auto sources = PacsSources::Open(*config, **dir);
  if (!sources.ok()) return Fail(sources.error());
  if ((*sources)->syncs().empty()) return Fail("no [[sources]] are configured (see --config)");
  dicom::Initialize();
  spdlog::set_default_logger(spdlog::stderr_logger_mt("sync"));  // stdout holds the report
  int code = 0;
  for (const auto& sync : (*sources)->syncs()) {
    auto report = sync->Pass(OrthancSync::Mode::kReconcile);
    if (!report.ok()) {
      code = Fail("source " + sync->name() + ": " + report.error().message());
      continue;
    }
    std::cout << "source " << sync->name() << ": " << report->added << " added, "
              << report->replaced << " replaced, " << report->removed << " removed, "
              << report->skipped << " skipped, cursor " << report->cursor << std::endl;
  }
  return code;
}

}  // namespace pacsport
