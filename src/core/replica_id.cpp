#include "core/replica_id.h"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <random>

namespace pacsport {
namespace {

std::string MakeReplicaId() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) host = {'?'};
  std::random_device random;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(random()));
  return std::string(host.data()) + ":" + std::to_string(::getpid()) + ":" + suffix;
}

}  // namespace

const std::string& ThisReplicaId() {
  static const std::string id = MakeReplicaId();
  return id;
}

}  // namespace pacsport
