// Signs messages with a key that a third party can check, and checks them
// (auth/signing_key.h): the audit chain's seals and the receipts of exports.
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace pacsport {

class MessageSigner {
 public:
  virtual ~MessageSigner() = default;
  // The signing key's id, which names the public key that checks its signatures.
  virtual std::string key_id() const = 0;
  // The base64 signature of `message`.
  virtual std::string Sign(std::string_view message) const = 0;
};

class SignatureChecker {
 public:
  virtual ~SignatureChecker() = default;
  // The id of the key that checks, as MessageSigner::key_id names it.
  virtual const std::string& id() const = 0;
  // Whether `signature_base64` is this key's signature of `message`.
  virtual bool Verify(std::string_view message, std::string_view signature_base64) const = 0;
};

}  // namespace pacsport
