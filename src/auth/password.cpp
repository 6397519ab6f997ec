#include "auth/password.h"

#include <sodium.h>

#include "auth/sodium_init.h"
#include "core/error.h"

namespace pacsport::auth {

std::string HashPassword(std::string_view password) {
  InitSodium();
  char hash[crypto_pwhash_argon2id_STRBYTES];
  if (crypto_pwhash_argon2id_str(hash, password.data(), password.size(),
                                 crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
                                 crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE) != 0) {
    throw ErrorException(Internal("password hashing failed (out of memory)"));
  }
  return hash;
}

bool VerifyPassword(std::string_view stored_hash, std::string_view password) {
  InitSodium();
  // Only Argon2id strings that fit libsodium's buffer; the copy adds the NUL it needs.
  if (!stored_hash.starts_with(crypto_pwhash_argon2id_STRPREFIX) ||
      stored_hash.size() >= crypto_pwhash_argon2id_STRBYTES ||
      stored_hash.find('\0') != std::string_view::npos) {
    return false;
  }
  const std::string hash(stored_hash);
  return crypto_pwhash_argon2id_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace pacsport::auth
