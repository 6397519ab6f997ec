// hospital add, user add, token.
#include <iostream>

#include "app/commands.h"
#include "app/data_directory.h"
#include "auth/jwt.h"
#include "auth/password.h"
#include "core/clock.h"

namespace pacsport {

int Fail(const std::string& message) {
  std::cerr << "pacsport: " << message << "\n";
  return 1;
}

int RunHospitalAdd(const std::filesystem::path& data, const std::string& name) {
  if (name.empty() || name.size() > 128) return Fail("hospital name must be 1-128 characters");
  auto dir = DataDirectory::OpenPerEnvironment(data);
  if (!dir.ok()) return Fail(dir.error());
  auto id = (*dir)->index().AddHospital(name);
  if (!id.ok()) return Fail(id.error());
  std::cout << "hospital " << name << " added\n";
  return 0;
}

int RunUserAdd(const std::filesystem::path& data, const std::string& hospital,
               const std::string& role_name, const std::string& username) {
  const auto role = ParseRole(role_name);
  if (!role) return Fail("role must be user, admin, ai or researcher");
  if (username.empty() || username.size() > 64) return Fail("username must be 1-64 characters");
  std::string password;
  if (!std::getline(std::cin, password) || password.empty()) {
    return Fail("the password must be given on standard input");
  }
  if (password.size() < 8) return Fail("the password must be at least 8 characters");
  auto dir = DataDirectory::OpenPerEnvironment(data);
  if (!dir.ok()) return Fail(dir.error());
  auto found = (*dir)->index().FindHospital(hospital);
  if (!found.ok()) return Fail(found.error());
  Status added = (*dir)->index().AddUser(username, found->id, *role, auth::HashPassword(password));
  if (!added.ok()) return Fail(added.error());
  std::cout << "user " << username << " added to " << hospital << " as " << role_name << "\n";
  return 0;
}

int RunToken(const std::filesystem::path& data,
             const std::optional<std::filesystem::path>& config_file, const std::string& username,
             std::int64_t ttl_seconds) {
  auto config = LoadConfig(config_file);
  if (!config.ok()) return Fail(config.error());
  const std::int64_t max_ttl = MaxTokenLifetime(*config).count();
  if (ttl_seconds < 60 || ttl_seconds > max_ttl) {
    return Fail("--ttl must be 60-" + std::to_string(max_ttl) +
                " seconds (security.max_token_lifetime_seconds, else server.token_ttl_seconds)");
  }
  auto dir = DataDirectory::Open(data, config->index_url);
  if (!dir.ok()) return Fail(dir.error());
  auto secret = (*dir)->JwtSecret(*config, DataDirectory::KeptSecret::kUse);
  if (!secret.ok()) return Fail(secret.error());
  auto user = (*dir)->index().FindUser(username);
  if (!user.ok()) return Fail(user.error());
  auth::Claims claims;
  claims.username = user->username;
  claims.hospital = user->hospital_name;
  claims.hospital_id = user->hospital_id;
  claims.role = user->role;
  claims.issued_at = UnixSeconds(std::chrono::system_clock::now());
  claims.expires_at = claims.issued_at + ttl_seconds;
  std::cout << auth::JwtCodec(*secret, MaxTokenLifetime(*config)).Issue(claims) << "\n";
  return 0;
}

}  // namespace pacsport
