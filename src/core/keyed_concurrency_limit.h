// KeyedConcurrencyLimit: lets at most `capacity` holders in at once per key (a user,
// a hospital, a client address), and, like ConcurrencyLimit, never makes anyone wait:
// TryAcquire hands out a Slot or says no. A Slot gives its place back when destroyed;
// a key nobody holds takes no memory. Thread-safe. The limit must outlive its slots.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace pacsport {

class KeyedConcurrencyLimit {
 public:
  class Slot {
   public:
    Slot(Slot&& other) noexcept : limit_(other.limit_), key_(std::move(other.key_)) {
      other.limit_ = nullptr;
    }
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() {
      if (limit_ != nullptr) limit_->Release(key_);
    }

   private:
    friend class KeyedConcurrencyLimit;
    Slot(KeyedConcurrencyLimit* limit, std::string key) : limit_(limit), key_(std::move(key)) {}
    KeyedConcurrencyLimit* limit_;
    std::string key_;
  };

  // Requires capacity >= 1.
  explicit KeyedConcurrencyLimit(int capacity) : capacity_(capacity) {}

  std::optional<Slot> TryAcquire(const std::string& key) {
    std::lock_guard lock(mutex_);
    int& held = held_[key];
    if (held >= capacity_) return std::nullopt;
    ++held;
    return Slot(this, key);
  }

  int capacity() const { return capacity_; }
  int held(const std::string& key) const {
    std::lock_guard lock(mutex_);
    const auto found = held_.find(key);
    return found == held_.end() ? 0 : found->second;
  }

 private:
  void Release(const std::string& key) {
    std::lock_guard lock(mutex_);
    const auto found = held_.find(key);
    if (--found->second == 0) held_.erase(found);
  }

  const int capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, int> held_;  // Protected by mutex_; no zero counts
};

}  // namespace pacsport
