#include "delivery/dicomweb_answers.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace pacsport::delivery {
namespace {

using nlohmann::json;

constexpr const char* kSopInstanceUid = "00080018";
constexpr const char* kReferencedSopInstanceUid = "00081155";
constexpr const char* kWarningReason = "00081196";
constexpr const char* kFailureReason = "00081197";
constexpr const char* kFailedSopSequence = "00081198";
constexpr const char* kReferencedSopSequence = "00081199";

// The first Value of `tag` in `dataset`, or null when absent or empty.
const json* FirstValue(const json& dataset, const char* tag) {
  if (!dataset.is_object()) return nullptr;
  const auto element = dataset.find(tag);
  if (element == dataset.end() || !element->is_object()) return nullptr;
  const auto value = element->find("Value");
  if (value == element->end() || !value->is_array() || value->empty()) return nullptr;
  return &value->front();
}

std::string FirstString(const json& dataset, const char* tag) {
  const json* value = FirstValue(dataset, tag);
  return value != nullptr && value->is_string() ? value->get<std::string>() : "";
}

// A status as US (a number), or as some peers write it, a string of digits.
std::optional<std::string> Reason(const json& dataset, const char* tag) {
  const json* value = FirstValue(dataset, tag);
  if (value == nullptr) return std::nullopt;
  if (value->is_number_unsigned()) return StatusCode(value->get<unsigned>());
  if (value->is_string()) return value->get<std::string>();
  return std::nullopt;
}

// The items of sequence `tag`; empty when absent or without a Value.
std::vector<json> Items(const json& dataset, const char* tag) {
  const auto element = dataset.find(tag);
  if (element == dataset.end() || !element->is_object()) return {};
  const auto value = element->find("Value");
  if (value == element->end() || !value->is_array()) return {};
  return value->get<std::vector<json>>();
}

}  // namespace

std::string StatusCode(unsigned value) {
  char text[16];
  std::snprintf(text, sizeof text, "%04XH", value);
  return text;
}

std::optional<StowAnswer> ParseStowAnswer(std::string_view body) {
  const json answer = json::parse(body, nullptr, false);
  if (!answer.is_object()) return std::nullopt;
  StowAnswer parsed;
  for (const json& item : Items(answer, kReferencedSopSequence)) {
    const std::string uid = FirstString(item, kReferencedSopInstanceUid);
    if (!uid.empty()) parsed.stored[uid] = Reason(item, kWarningReason).value_or("");
  }
  for (const json& item : Items(answer, kFailedSopSequence)) {
    const std::string uid = FirstString(item, kReferencedSopInstanceUid);
    if (!uid.empty()) {
      parsed.failed[uid] = Reason(item, kFailureReason).value_or("no failure reason given");
    }
  }
  return parsed;
}

std::optional<std::vector<std::string>> ParseQidoSopInstanceUids(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return std::vector<std::string>{};
  }
  const json answer = json::parse(body, nullptr, false);
  if (!answer.is_array()) return std::nullopt;
  std::vector<std::string> uids;
  for (const json& dataset : answer) {
    const std::string uid = FirstString(dataset, kSopInstanceUid);
    if (!uid.empty()) uids.push_back(uid);
  }
  return uids;
}

}  // namespace pacsport::delivery
