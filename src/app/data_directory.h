// DataDirectory: the on-disk home of one pacsport installation.
//   DIR/index.sqlite   the metadata index and audit trail, unless the configuration
//                      names a PostgreSQL index ([index] url, PACSPORT_INDEX_URL)
//   DIR/store/         the content-addressed DICOM store
//   DIR/jwt-secret     the token secret generated in --demo mode (mode 0600)
//   DIR/audit-signing-key  the server's Ed25519 key (auth/signing_key.h, mode 0600),
//                      created on first open: it signs the audit chain and receipts
// Not copyable; the objects it hands out live as long as it does.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "app/config.h"
#include "auth/signing_key.h"
#include "core/error.h"
#include "index/index.h"
#include "storage/local_store.h"

namespace pacsport {

class DataDirectory {
 public:
  // Opens DIR, creating it and its parts when absent, with the index at `index_url`
  // (Config::index_url; empty: DIR/index.sqlite).
  static Result<std::unique_ptr<DataDirectory>> Open(const std::filesystem::path& dir,
                                                     const std::string& index_url);
  // Opens DIR with the index the environment names (PACSPORT_INDEX_URL, else
  // DIR/index.sqlite), for the commands that take no configuration file.
  static Result<std::unique_ptr<DataDirectory>> OpenPerEnvironment(
      const std::filesystem::path& dir);

  Index& index() { return *index_; }
  LocalStore& store() { return *store_; }
  // The server's signing key; the index seals its audit records with it.
  std::shared_ptr<const auth::SigningKey> signing_key() const { return signing_key_; }

  // How the secret kept in DIR/jwt-secret may stand in for a configured one.
  enum class KeptSecret {
    kIgnore,       // only a configured secret counts (serve without --demo)
    kUse,          // use the kept one if there is one (CLI commands such as token)
    kUseOrCreate,  // use it, creating it when absent (serve --demo)
  };
  // The JWT secret: the configured one, else per `kept`. kInvalidInput when there is none.
  Result<std::string> JwtSecret(const Config& config, KeptSecret kept);

 private:
  DataDirectory() = default;

  std::filesystem::path dir_;
  std::unique_ptr<Index> index_;
  std::unique_ptr<LocalStore> store_;
  std::shared_ptr<const auth::SigningKey> signing_key_;
};

}  // namespace pacsport
