#include "auth/sodium_init.h"

#include <mutex>

#include <sodium.h>

#include "core/error.h"

namespace pacsport::auth {

void InitSodium() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] { ok = sodium_init() >= 0; });  // 1 = already initialised: fine
  if (!ok) throw ErrorException(Internal("libsodium failed to initialise"));
}

}  // namespace pacsport::auth
