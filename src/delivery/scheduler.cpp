#include "delivery/scheduler.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>

#include "delivery/cron_schedule.h"

namespace pacsport::delivery {

Scheduler::Scheduler(Index& index, ScheduleFiring& firing, Clock clock,
                     std::chrono::milliseconds tick)
    : index_(index), firing_(firing), clock_(std::move(clock)), tick_(tick) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
  thread_ = std::jthread([this](std::stop_token stop) {
    std::mutex mutex;
    std::condition_variable_any wake;
    while (!stop.stop_requested()) {
      FireDue();
      std::unique_lock lock(mutex);
      wake.wait_for(lock, stop, tick_, [] { return false; });
    }
  });
}

void Scheduler::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

int Scheduler::FireDue() {
  const SystemTime now = clock_();
  auto due = index_.ListDueSchedules(Iso8601(now));
  if (!due.ok()) {
    spdlog::error("event=scheduler_failed error=\"{}\"", due.error().message());
    return 0;
  }
  int fired = 0;
  for (const ScheduleRecord& schedule : *due) {
    auto cron = CronSchedule::Parse(schedule.cron);
    auto next =
        cron.ok() ? cron->NextAfter(now, schedule.time_zone) : Result<SystemTime>(cron.error());
    if (!next.ok()) {  // validated when stored; a zone removed from tzdata since
      spdlog::error("event=schedule_invalid schedule={} error=\"{}\"", schedule.id,
                    next.error().message());
      continue;
    }
    auto claimed = index_.ClaimScheduleSlot(schedule.id, schedule.next_run_at, Iso8601(*next));
    if (!claimed.ok()) {
      spdlog::error("event=scheduler_failed schedule={} error=\"{}\"", schedule.id,
                    claimed.error().message());
      continue;
    }
    if (!*claimed) continue;  // another scheduler took this slot, or the schedule changed
    spdlog::info("event=schedule_fired schedule={} slot={} next={}", schedule.id,
                 schedule.next_run_at, Iso8601(*next));
    firing_.Fire(schedule, now);
    ++fired;
  }
  return fired;
}

namespace {

// The time written in `path`: unix seconds, or ISO 8601 UTC to the second.
std::optional<SystemTime> ReadClockFile(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  if (text.empty()) return std::nullopt;
  if (text.find('T') == std::string::npos) {
    return SystemTime(std::chrono::seconds(std::strtoll(text.c_str(), nullptr, 10)));
  }
  std::tm tm{};
  if (::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return std::nullopt;
  return SystemTime(std::chrono::seconds(::timegm(&tm)));
}

}  // namespace

Scheduler::Clock ClockFromEnvironment() {
  const char* file = std::getenv("PACSPORT_TEST_CLOCK_FILE");
  if (file == nullptr || *file == '\0') return [] { return std::chrono::system_clock::now(); };
  spdlog::warn("event=test_clock file={} (PACSPORT_TEST_CLOCK_FILE is for tests only)", file);
  return [path = std::string(file)] {
    return ReadClockFile(path).value_or(std::chrono::system_clock::now());
  };
}

}  // namespace pacsport::delivery
