#include "app/data_directory.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>

#include "auth/jwt.h"

namespace pacsport {
namespace fs = std::filesystem;

Result<std::unique_ptr<DataDirectory>> DataDirectory::Open(const fs::path& dir,
                                                           const std::string& index_url) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Unavailable("cannot create data directory " + dir.string() + ": " + ec.message());
  std::unique_ptr<DataDirectory> data(new DataDirectory());
  data->dir_ = dir;
  auto index = index_url.empty() ? OpenSqliteIndex((dir / "index.sqlite").string())
                                 : OpenPostgresIndex(index_url);
  if (!index.ok()) return index.error();
  data->index_ = std::move(*index);
  auto store = LocalStore::Open(dir / "store");
  if (!store.ok()) return store.error();
  data->store_ = std::move(*store);
  auto key = auth::SigningKey::LoadOrCreate(dir / "audit-signing-key");
  if (!key.ok()) return key.error();
  data->signing_key_ = std::make_shared<const auth::SigningKey>(std::move(*key));
  data->index_->SetAuditSigner(data->signing_key_);
  return data;
}

Result<std::unique_ptr<DataDirectory>> DataDirectory::OpenPerEnvironment(const fs::path& dir) {
  auto config = LoadConfig(std::nullopt);
  if (!config.ok()) return config.error();
  return Open(dir, config->index_url);
}

Result<std::string> DataDirectory::JwtSecret(const Config& config, KeptSecret kept) {
  if (!config.jwt_secret.empty()) return config.jwt_secret;
  const Error none =
      InvalidInput("no JWT secret configured: set security.jwt_secret or PACSPORT_JWT_SECRET");
  if (kept == KeptSecret::kIgnore) return none;
  const fs::path path = dir_ / "jwt-secret";
  if (std::ifstream in(path); in) {
    std::string secret;
    std::getline(in, secret);
    if (!secret.empty()) return secret;
  }
  if (kept == KeptSecret::kUse) return none;
  const std::string secret = auth::GenerateSecret();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const std::string line = secret + "\n";
  const bool written = fd >= 0 &&
                       ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                       ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!written) return Unavailable("cannot write " + path.string());
  return secret;
}

}  // namespace pacsport
