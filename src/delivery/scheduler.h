// Scheduler: the thread that fires due schedules.
//
// Every tick it lists the enabled schedules whose next_run_at has come (by its clock,
// injectable for tests), computes each one's next slot after now, and claims the due
// slot by moving next_run_at from it to that next slot with a compare and set in the
// index (Index::ClaimScheduleSlot). Only a claim that wins fires the schedule, so two
// schedulers over one index (two processes, or a restart racing a late tick) never
// fire one slot twice. Because the next slot is computed from now, not from the
// missed slot, a schedule that missed several slots while the server was down fires
// once, at the first tick after start, and then at its next slot after now.
// Thread-safe; Start and Stop from one thread.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

#include "core/clock.h"
#include "index/index.h"

namespace pacsport::delivery {

// What firing a claimed schedule does (Schedules::Run in the server).
class ScheduleFiring {
 public:
  virtual ~ScheduleFiring() = default;
  // Runs `schedule`, whose slot this scheduler has claimed, at `now`. Must not throw.
  virtual void Fire(const ScheduleRecord& schedule, SystemTime now) = 0;
};

class Scheduler {
 public:
  using Clock = std::function<SystemTime()>;

  // Borrows `index` and `firing`, which must outlive it.
  Scheduler(Index& index, ScheduleFiring& firing, Clock clock,
            std::chrono::milliseconds tick = std::chrono::seconds(1));
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Fires what is due now, then every tick, on a thread of its own, until Stop.
  void Start();
  // Stops the thread (a run under way completes first). Called by the destructor.
  void Stop();

  // One pass: claims and fires every schedule due now; returns how many fired.
  // Index errors are logged and the schedule is tried again at the next pass.
  int FireDue();

 private:
  Index& index_;
  ScheduleFiring& firing_;
  const Clock clock_;
  const std::chrono::milliseconds tick_;
  std::jthread thread_;
};

// The scheduler's clock: the system's, unless the test-only environment variable
// PACSPORT_TEST_CLOCK_FILE names a file, whose content (an ISO 8601 UTC time such as
// "2030-01-01T02:00:00Z", or unix seconds) is then read as the time now at every
// call. For the integration tests only: never set it in production.
Scheduler::Clock ClockFromEnvironment();

}  // namespace pacsport::delivery
