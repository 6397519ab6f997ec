#include "delivery/azure_shared_key.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <map>

namespace pacsport::delivery {
namespace {

std::string Lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

std::string_view Trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The value of a standard header, or "" when the request does not send it.
std::string HeaderValue(const AzureSignedParts& parts, std::string_view lower_name) {
  for (const auto& [name, value] : parts.headers) {
    if (Lower(name) == lower_name) return std::string(Trimmed(value));
  }
  return "";
}

}  // namespace

std::string SharedKeyStringToSign(const AzureSignedParts& parts) {
  std::string text = parts.method + "\n";
  for (std::string_view name : {"content-encoding", "content-language"}) {
    text += HeaderValue(parts, name) + "\n";
  }
  text += (parts.content_length == 0 ? std::string() : std::to_string(parts.content_length)) + "\n";
  for (std::string_view name : {"content-md5", "content-type", "date", "if-modified-since",
                                "if-match", "if-none-match", "if-unmodified-since", "range"}) {
    text += HeaderValue(parts, name) + "\n";
  }
  std::map<std::string, std::string> ms_headers;
  for (const auto& [name, value] : parts.headers) {
    const std::string lower = Lower(name);
    if (lower.starts_with("x-ms-")) ms_headers[lower] = std::string(Trimmed(value));
  }
  for (const auto& [name, value] : ms_headers) text += name + ":" + value + "\n";

  text += "/" + parts.account + parts.path;
  std::map<std::string, std::vector<std::string>> query;
  for (const auto& [name, value] : parts.query) query[Lower(name)].push_back(value);
  for (auto& [name, values] : query) {
    std::sort(values.begin(), values.end());
    text += "\n" + name + ":";
    for (size_t i = 0; i < values.size(); ++i) text += (i == 0 ? "" : ",") + values[i];
  }
  return text;
}

std::string SharedKeyAuthorization(const AzureSignedParts& parts, std::string_view key) {
  const std::string text = SharedKeyStringToSign(parts);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &mac_size);
  return "Authorization: SharedKey " + parts.account + ":" +
         Base64Encode(std::string_view(reinterpret_cast<const char*>(mac), mac_size));
}

std::string Base64Encode(std::string_view bytes) {
  std::string text(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  text.resize(static_cast<size_t>(n));
  return text;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  const auto valid = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
  };
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  if (!std::all_of(text.begin(), text.end() - static_cast<std::ptrdiff_t>(padding), valid)) {
    return std::nullopt;
  }
  std::string bytes(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  bytes.resize(static_cast<size_t>(n) - padding);
  // Canonical: the unused bits of the last group are zero, so encoding gives `text` back.
  if (Base64Encode(bytes) != text) return std::nullopt;
  return bytes;
}

std::string HttpDate(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char text[40];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[utc.tm_wday],
                utc.tm_mday, kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                utc.tm_sec);
  return text;
}

}  // namespace pacsport::delivery
