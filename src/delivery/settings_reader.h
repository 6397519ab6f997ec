// SettingsReader: reads a destination's settings or secrets object key by key, as the
// kinds' Make functions do (destination_kinds.h): each Take* marks its key as read,
// and Finish refuses any key left unread, so a misspelt key is an error, not ignored.
// Errors are kInvalidInput naming "<what>.<key>", e.g. "settings.bucket".
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"

namespace pacsport::delivery {

class SettingsReader {
 public:
  // `what` names the object in errors ("settings", "secrets"). kInvalidInput (from
  // Finish) unless `object` is a JSON object. Keeps its own copy of `object`.
  SettingsReader(const nlohmann::json& object, std::string what);

  // A string; nullopt when absent (Required* fail instead). Empty strings count as absent.
  std::optional<std::string> TakeString(const std::string& key);
  std::string RequiredString(const std::string& key);
  std::optional<bool> TakeBool(const std::string& key);
  // An integer in [min, max].
  std::optional<std::int64_t> TakeInt(const std::string& key, std::int64_t min, std::int64_t max);
  // A non-empty array of non-empty strings.
  std::optional<std::vector<std::string>> TakeStrings(const std::string& key);
  // Records an error of the caller's own (a value out of its domain).
  void Fail(const std::string& key, const std::string& why);

  // The first error met, or one naming a key nobody took.
  Status Finish() const;

 private:
  const nlohmann::json* Find(const std::string& key);
  const nlohmann::json object_;
  const std::string what_;
  std::set<std::string> taken_;
  std::optional<Error> error_;
};

}  // namespace pacsport::delivery
