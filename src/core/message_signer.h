// Signs messages with a key that a third party can check (auth/signing_key.h):
// the audit chain's seals and the receipts of exports. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace pacsport {

class MessageSigner {
 public:
  virtual ~MessageSigner() = default;
  // The signing key's id, which names the public key that checks its signatures.
  virtual std::string key_id() const = 0;
  // The base64 public key that checks its signatures, for a reader to check them with.
  virtual std::string public_key_base64() const = 0;
  // The base64 signature of `message`.
  virtual std::string Sign(std::string_view message) const = 0;
};

}  // namespace pacsport
