// ExportProgress: how far one running export has come, written by the export's writer
// and read by any thread meanwhile (a job's progress events). Counters only grow.
#pragma once

#include <atomic>
#include <cstdint>

namespace pacsport {

struct ExportProgress {
  std::atomic<std::int64_t> instances_done{0};  // written whole, previews included
  std::atomic<std::uint64_t> bytes_done{0};     // of the archive or document
};

}  // namespace pacsport
