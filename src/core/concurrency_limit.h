// ConcurrencyLimit: lets at most `capacity` holders in at once and never makes anyone
// wait: TryAcquire either hands out a Slot or says no, so that the caller can answer
// "busy, retry later" at once. A Slot gives its place back when destroyed.
// Thread-safe. The limit must outlive its slots.
#pragma once

#include <atomic>
#include <optional>

namespace pacsport {

class ConcurrencyLimit {
 public:
  class Slot {
   public:
    Slot(Slot&& other) noexcept : limit_(other.limit_) { other.limit_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() {
      if (limit_ != nullptr) limit_->held_.fetch_sub(1, std::memory_order_release);
    }

   private:
    friend class ConcurrencyLimit;
    explicit Slot(ConcurrencyLimit* limit) : limit_(limit) {}
    ConcurrencyLimit* limit_;
  };

  // Requires capacity >= 1.
  explicit ConcurrencyLimit(int capacity) : capacity_(capacity) {}

  std::optional<Slot> TryAcquire() {
    int held = held_.load(std::memory_order_relaxed);
    do {
      if (held >= capacity_) return std::nullopt;
    } while (!held_.compare_exchange_weak(held, held + 1, std::memory_order_acquire,
                                          std::memory_order_relaxed));
    return Slot(this);
  }

  int capacity() const { return capacity_; }
  int held() const { return held_.load(std::memory_order_relaxed); }

 private:
  const int capacity_;
  std::atomic<int> held_{0};
};

}  // namespace pacsport
