// Internal to src/auth: libsodium's one-time process initialisation.
//
// InitSodium() may be called any number of times from any thread; the first call runs
// sodium_init() exactly once (std::call_once). Every function in this folder that uses
// libsodium calls it first. Throws ErrorException(kInternal) if libsodium cannot start
// (no usable random source), which no request can recover from.
#pragma once

namespace pacsport::auth {

void InitSodium();

}  // namespace pacsport::auth
