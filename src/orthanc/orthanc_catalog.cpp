#include "orthanc/orthanc_catalog.h"

#include <nlohmann/json.hpp>

#include "orthanc/orthanc_id.h"

namespace pacsport {
namespace {

Result<nlohmann::json> GetJson(RestClient& client, const std::string& path) {
  auto body = client.Get(path);
  if (!body.ok()) return body.error();
  nlohmann::json json = nlohmann::json::parse(*body, nullptr, false);
  if (json.is_discarded()) return Internal("GET " + path + ": Orthanc answered no JSON");
  return json;
}

// Orthanc's answer to anything unexpected in a JSON document.
Error Malformed(const std::string& path) {
  return Internal("GET " + path + ": Orthanc's answer has an unexpected shape");
}

// An instance's description (/instances/{id}, or an element of an expanded listing).
std::optional<OrthancInstance> ParseInstance(const nlohmann::json& json) {
  if (!json.is_object()) return std::nullopt;
  const auto id = json.find("ID");
  const auto uuid = json.find("FileUuid");
  const auto size = json.find("FileSize");
  if (id == json.end() || !id->is_string() || !IsOrthancId(id->get<std::string>()) ||
      uuid == json.end() || !uuid->is_string() || size == json.end() ||
      !size->is_number_integer()) {
    return std::nullopt;
  }
  return OrthancInstance{id->get<std::string>(), uuid->get<std::string>(),
                         size->get<std::int64_t>()};
}

}  // namespace

Result<std::int64_t> OrthancCatalog::LastChange() {
  const std::string path = "/changes?last";
  auto changes = GetJson(client_, path);
  if (!changes.ok()) return changes.error();
  if (!changes->contains("Last") || !(*changes)["Last"].is_number_integer()) return Malformed(path);
  return (*changes)["Last"].get<std::int64_t>();
}

Status OrthancCatalog::ReadNewInstances(std::int64_t since, std::vector<std::string>& ids,
                                        std::int64_t& last) {
  for (;;) {
    const std::string path =
        "/changes?since=" + std::to_string(since) + "&limit=" + std::to_string(page_size_);
    auto page = GetJson(client_, path);
    if (!page.ok()) return page.error();
    const auto changes = page->find("Changes");
    const auto done = page->find("Done");
    const auto reached = page->find("Last");
    if (changes == page->end() || !changes->is_array() || done == page->end() ||
        !done->is_boolean() || reached == page->end() || !reached->is_number_integer()) {
      return Malformed(path);
    }
    for (const auto& change : *changes) {
      if (change.value("ChangeType", "") != "NewInstance") continue;
      const auto id = change.find("ID");
      if (id == change.end() || !id->is_string() || !IsOrthancId(id->get<std::string>())) {
        return Malformed(path);
      }
      ids.push_back(id->get<std::string>());
    }
    last = reached->get<std::int64_t>();
    if (done->get<bool>() || last <= since) return Status::Ok();
    since = last;
  }
}

Result<std::vector<OrthancInstance>> OrthancCatalog::ListInstances() {
  std::vector<OrthancInstance> instances;
  for (std::int64_t since = 0;; since += page_size_) {
    const std::string path =
        "/instances?expand&since=" + std::to_string(since) + "&limit=" + std::to_string(page_size_);
    auto page = GetJson(client_, path);
    if (!page.ok()) return page.error();
    if (!page->is_array()) return Malformed(path);
    for (const auto& element : *page) {
      auto instance = ParseInstance(element);
      if (!instance) return Malformed(path);
      instances.push_back(std::move(*instance));
    }
    if (page->size() < static_cast<size_t>(page_size_)) return instances;
  }
}

Result<std::optional<OrthancInstance>> OrthancCatalog::Describe(const std::string& id) {
  if (!IsOrthancId(id)) return InvalidInput("not an Orthanc instance ID");
  const std::string path = "/instances/" + id;
  auto json = GetJson(client_, path);
  if (!json.ok()) {
    if (json.error().code() == ErrorCode::kNotFound) return std::optional<OrthancInstance>();
    return json.error();
  }
  auto instance = ParseInstance(*json);
  if (!instance || instance->id != id) return Malformed(path);
  return instance;
}

}  // namespace pacsport
