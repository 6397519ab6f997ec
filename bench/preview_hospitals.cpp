// preview_hospitals FILE ROUNDS: what a worker per hospital costs (issue 12). Renders
// every frame of FILE ROUNDS times through a one-worker PreviewPool (the
// pacsport-preview-worker beside this build's pacsport), first always for the same
// hospital (the worker is reused), then for two hospitals in turn (every render
// retires the worker of the other one and starts a fresh one: the worst case).
// Prints one line per run, "same|alternating SECONDS MS_PER_RENDER", then the
// difference per render: the price of one retirement and start. Exits 2 on bad
// arguments, 1 when a render fails.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "preview/preview_pool.h"

namespace {

// Seconds for `rounds` renders of `object`, hospital 1 or 2 by `hospital_of(round)`.
template <typename HospitalOf>
double Time(pacsport::preview::PreviewPool& pool, const std::string& object, int rounds,
            HospitalOf hospital_of) {
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < rounds; ++round) {
    auto frames = pool.Render({hospital_of(round), 0, std::nullopt}, object);
    if (!frames.ok()) {
      std::fprintf(stderr, "render failed: %s\n", frames.error().message().c_str());
      std::exit(1);
    }
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || std::atoi(argv[2]) < 1) {
    std::fprintf(stderr, "usage: preview_hospitals FILE ROUNDS\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  const std::string object{std::istreambuf_iterator<char>(in), {}};
  const int rounds = std::atoi(argv[2]);
  const auto worker = std::filesystem::path(PACSPORT_APP_DIR) / "pacsport-preview-worker";
  auto pool = pacsport::preview::PreviewPool::Create({worker, 1});
  if (!pool.ok()) {
    std::fprintf(stderr, "%s\n", pool.error().message().c_str());
    return 1;
  }
  Time(**pool, object, 1, [](int) { return 1; });  // start the worker: warm
  const double same = Time(**pool, object, rounds, [](int) { return 1; });
  const double alternating = Time(**pool, object, rounds, [](int round) { return 1 + round % 2; });
  std::printf("same %.3f %.2f\n", same, 1000 * same / rounds);
  std::printf("alternating %.3f %.2f\n", alternating, 1000 * alternating / rounds);
  std::printf("retirement %.2f ms per hospital change\n", 1000 * (alternating - same) / rounds);
  return 0;
}
