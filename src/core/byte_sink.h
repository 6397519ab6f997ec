// ByteSink: where a produced byte stream goes (an HTTP response, a file, a string).
//
// Write blocks until the bytes are accepted, which is how a slow consumer slows the
// producer (back-pressure). A sink is used by one thread at a time.
#pragma once

#include <cstddef>
#include <string>

#include "core/error.h"

namespace pacsport {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Appends size bytes. An error (client gone, disk full) is final: the producer
  // must stop and never call Write again.
  virtual Status Write(const char* data, size_t size) = 0;
};

// Collects everything in memory; for tests and small documents.
class StringSink : public ByteSink {
 public:
  Status Write(const char* data, size_t size) override {
    bytes_.append(data, size);
    return Status::Ok();
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace pacsport
