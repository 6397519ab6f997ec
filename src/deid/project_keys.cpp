#include "deid/project_keys.h"

#include <openssl/rand.h>

#include <cstdio>
#include <string>

#include "auth/key_file.h"

namespace pacsport::deid {
namespace {

constexpr std::string_view kKeyFilePrefix = "deidentify ";

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<ProjectKeys> ProjectKeys::FromHex(std::string_view hex) {
  ProjectKey secret{};
  if (hex.size() != secret.size() * 2) {
    return InvalidInput("the de-identification key must be 64 hexadecimal digits");
  }
  for (std::size_t i = 0; i < secret.size(); ++i) {
    const int high = HexDigit(hex[2 * i]);
    const int low = HexDigit(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      return InvalidInput("the de-identification key must be 64 hexadecimal digits");
    }
    secret[i] = static_cast<unsigned char>(high * 16 + low);
  }
  return ProjectKeys(secret);
}

Result<ProjectKeys> ProjectKeys::LoadOrCreate(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    ProjectKey secret{};
    if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
      return Unavailable("no randomness for a new de-identification key");
    }
    std::string line(kKeyFilePrefix);
    for (unsigned char byte : secret) {
      char digits[3];
      std::snprintf(digits, sizeof digits, "%02x", byte);
      line += digits;
    }
    if (Status s = auth::CreateKeyFile(path, line); !s.ok()) return s.error();
  }
  auto line = auth::ReadKeyLine(path);
  if (!line.ok()) return line.error();
  if (line->rfind(kKeyFilePrefix, 0) != 0) {
    return InvalidInput(path.string() + " is not a de-identification key file");
  }
  return FromHex(std::string_view(*line).substr(kKeyFilePrefix.size()));
}

ProjectKey ProjectKeys::For(std::string_view hospital, std::string_view project) const {
  std::string context = "pacsport de-identification project key v1";
  context.push_back('\0');
  context.append(hospital);
  context.push_back('\0');
  context.append(project);
  return HmacSha256(secret_, context);
}

}  // namespace pacsport::deid
