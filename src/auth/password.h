// Password hashing for stored user credentials: Argon2id through libsodium.
//
// Hashes are libsodium's self-describing strings ("$argon2id$v=19$m=65536,t=2,p=1$...")
// carrying their own random salt and cost, so the cost can be raised later without
// invalidating stored hashes. We use libsodium's INTERACTIVE limits (64 MiB, 2 passes):
// about a tenth of a second per login, the libsodium recommendation for online logins;
// every concurrent login holds 64 MiB while it runs, so the HTTP layer bounds them.
//
// Thread-safe: pure functions. Neither throws for bad input. Timing note: a caller that
// finds no such user should still run VerifyPassword against some stored hash, so the
// answer time does not reveal which usernames exist.
#pragma once

#include <string>
#include <string_view>

namespace pacsport::auth {

// A new Argon2id hash of `password` (any bytes) with a fresh salt. Throws
// ErrorException(kInternal) only if libsodium fails (out of memory).
std::string HashPassword(std::string_view password);

// True when `stored_hash` is an Argon2id string produced by HashPassword and `password`
// matches it; false on a mismatch, a malformed or foreign hash, or any other failure.
bool VerifyPassword(std::string_view stored_hash, std::string_view password);

}  // namespace pacsport::auth
