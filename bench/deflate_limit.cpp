// deflate_limit LEVEL THREADS FILE...: the compute limit of a ZIP export, for
// bench/export_bench.sh. Loads every FILE into memory, then compresses each one whole
// with libdeflate at LEVEL (1-12; pacsport uses 1-9), THREADS threads taking files
// from a shared counter. Only the compression is timed: files are read, compressors
// allocated and output buffers touched before the clock starts. Prints one line:
// "SECONDS INPUT_BYTES OUTPUT_BYTES" (OUTPUT_BYTES: the sum of the raw deflate streams,
// no ZIP records). Exits 2 on bad arguments, 1 when a file cannot be read.
#include <libdeflate.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

namespace {

struct Job {
  std::string input;
  std::vector<char> output;  // sized to the compress bound, zero-filled (touched)
  size_t compressed_size = 0;
};

struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};
using Compressor = std::unique_ptr<libdeflate_compressor, CompressorDeleter>;

bool ParseInt(std::string_view text, int min, int max, int& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && value >= min && value <= max;
}

bool ReadFile(const char* path, std::string& contents) {
  std::error_code error;
  const uintmax_t size = std::filesystem::file_size(path, error);
  if (error) return false;
  std::ifstream in(path, std::ios::binary);
  contents.resize(size);
  return in.read(contents.data(), static_cast<std::streamsize>(size)) && in.peek() == EOF;
}

// Compresses jobs[next++] until none is left.
void Worker(libdeflate_compressor* compressor, std::vector<Job>& jobs, std::atomic<size_t>& next) {
  for (size_t i = next++; i < jobs.size(); i = next++) {
    Job& job = jobs[i];
    job.compressed_size = libdeflate_deflate_compress(
        compressor, job.input.data(), job.input.size(), job.output.data(), job.output.size());
  }
}

}  // namespace

int main(int argc, char** argv) {
  int level = 0;
  int threads = 0;
  if (argc < 4 || !ParseInt(argv[1], 1, 12, level) || !ParseInt(argv[2], 1, 1024, threads)) {
    std::fprintf(stderr, "usage: deflate_limit LEVEL(1-12) THREADS FILE...\n");
    return 2;
  }

  std::vector<Job> jobs(static_cast<size_t>(argc - 3));
  std::vector<Compressor> compressors;
  for (int t = 0; t < threads; ++t) {
    compressors.emplace_back(libdeflate_alloc_compressor(level));
    if (!compressors.back()) {
      std::fprintf(stderr, "deflate_limit: out of memory\n");
      return 1;
    }
  }
  size_t input_bytes = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const char* path = argv[i + 3];
    if (!ReadFile(path, jobs[i].input)) {
      std::fprintf(stderr, "deflate_limit: cannot read %s\n", path);
      return 1;
    }
    const size_t bound =
        libdeflate_deflate_compress_bound(compressors.front().get(), jobs[i].input.size());
    jobs[i].output.assign(bound, 0);
    input_bytes += jobs[i].input.size();
  }

  std::atomic<size_t> next = 0;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (const Compressor& compressor : compressors)
    workers.emplace_back(Worker, compressor.get(), std::ref(jobs), std::ref(next));
  for (std::thread& worker : workers) worker.join();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;

  size_t output_bytes = 0;
  for (const Job& job : jobs) output_bytes += job.compressed_size;
  std::printf("%.3f %zu %zu\n", elapsed.count(), input_bytes, output_bytes);
  return 0;
}
