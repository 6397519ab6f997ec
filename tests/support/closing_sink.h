// Test support: a ByteSink that accepts `capacity` bytes, then fails every write like
// a connection the client closed.
#pragma once

#include <cstddef>

#include "core/byte_sink.h"
#include "core/error.h"

namespace pacsport::testing {

class ClosingSink : public ByteSink {
 public:
  explicit ClosingSink(size_t capacity) : capacity_(capacity) {}
  Status Write(const char*, size_t size) override {
    if (size > capacity_) return Unavailable("client closed");
    capacity_ -= size;
    return Status::Ok();
  }

 private:
  size_t capacity_;
};

}  // namespace pacsport::testing
