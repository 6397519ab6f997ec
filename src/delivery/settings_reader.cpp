#include "delivery/settings_reader.h"

namespace pacsport::delivery {

SettingsReader::SettingsReader(const nlohmann::json& object, std::string what)
    : object_(object), what_(std::move(what)) {
  if (!object_.is_object()) error_ = InvalidInput(what_ + " must be a JSON object");
}

void SettingsReader::Fail(const std::string& key, const std::string& why) {
  if (!error_) error_ = InvalidInput(what_ + "." + key + " " + why);
}

const nlohmann::json* SettingsReader::Find(const std::string& key) {
  taken_.insert(key);
  if (!object_.is_object()) return nullptr;
  const auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> SettingsReader::TakeString(const std::string& key) {
  const nlohmann::json* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) {
    Fail(key, "must be a string");
    return std::nullopt;
  }
  if (value->get_ref<const std::string&>().empty()) return std::nullopt;
  return value->get<std::string>();
}

std::string SettingsReader::RequiredString(const std::string& key) {
  auto value = TakeString(key);
  if (!value) Fail(key, "is required");
  return value.value_or("");
}

std::optional<bool> SettingsReader::TakeBool(const std::string& key) {
  const nlohmann::json* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) {
    Fail(key, "must be true or false");
    return std::nullopt;
  }
  return value->get<bool>();
}

std::optional<std::int64_t> SettingsReader::TakeInt(const std::string& key, std::int64_t min,
                                                    std::int64_t max) {
  const nlohmann::json* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number_integer() || value->get<std::int64_t>() < min ||
      value->get<std::int64_t>() > max) {
    Fail(key, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    return std::nullopt;
  }
  return value->get<std::int64_t>();
}

std::optional<std::vector<std::string>> SettingsReader::TakeStrings(const std::string& key) {
  const nlohmann::json* value = Find(key);
  if (value == nullptr) return std::nullopt;
  std::vector<std::string> strings;
  if (value->is_array()) {
    for (const auto& item : *value) {
      if (!item.is_string() || item.get_ref<const std::string&>().empty()) break;
      strings.push_back(item.get<std::string>());
    }
  }
  if (!value->is_array() || value->empty() || strings.size() != value->size()) {
    Fail(key, "must be a non-empty array of non-empty strings");
    return std::nullopt;
  }
  return strings;
}

Status SettingsReader::Finish() const {
  if (error_) return *error_;
  for (const auto& [key, value] : object_.items()) {
    if (!taken_.contains(key)) return InvalidInput(what_ + "." + key + " is not a known key");
  }
  return Status::Ok();
}

}  // namespace pacsport::delivery
