#include "delivery/s3_request.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "core/xml_text.h"

namespace pacsport::delivery {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

std::string Hex(const unsigned char* bytes, unsigned int size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex += kDigits[bytes[i] >> 4];
    hex += kDigits[bytes[i] & 0xf];
  }
  return hex;
}

// MD5 and SHA-256 of one body, fed piece by piece.
class TwoDigests {
 public:
  TwoDigests() {
    EVP_DigestInit_ex(md5_.get(), EVP_md5(), nullptr);
    EVP_DigestInit_ex(sha256_.get(), EVP_sha256(), nullptr);
  }
  void Update(const void* data, size_t size) {
    EVP_DigestUpdate(md5_.get(), data, size);
    EVP_DigestUpdate(sha256_.get(), data, size);
  }
  BodyDigests Finish() {
    unsigned char md5[EVP_MAX_MD_SIZE];
    unsigned char sha256[EVP_MAX_MD_SIZE];
    unsigned int md5_size = 0;
    unsigned int sha256_size = 0;
    EVP_DigestFinal_ex(md5_.get(), md5, &md5_size);
    EVP_DigestFinal_ex(sha256_.get(), sha256, &sha256_size);
    unsigned char base64[64];
    const int base64_size = EVP_EncodeBlock(base64, md5, static_cast<int>(md5_size));
    return {Hex(sha256, sha256_size),
            std::string(reinterpret_cast<const char*>(base64), static_cast<size_t>(base64_size)),
            Hex(md5, md5_size)};
  }

 private:
  struct Free {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> md5_{EVP_MD_CTX_new()};
  std::unique_ptr<EVP_MD_CTX, Free> sha256_{EVP_MD_CTX_new()};
};


std::string XmlUnescape(std::string_view text) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'},   {"&lt;", '<'},  {"&gt;", '>'},  {"&quot;", '"'},
      {"&apos;", '\''}, {"&#34;", '"'}, {"&#39;", '\''}};
  std::string out;
  for (size_t i = 0; i < text.size();) {
    bool replaced = false;
    if (text[i] == '&') {
      for (const auto& [entity, c] : kEntities) {
        if (text.substr(i, entity.size()) == entity) {
          out += c;
          i += entity.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

}  // namespace

std::string S3Bucket::BucketUrl(const std::string& query) const {
  std::string url;
  if (addressing == S3Addressing::kPath) {
    url = endpoint + "/" + bucket;
  } else {
    const size_t host = endpoint.find("://") + 3;
    url = endpoint.substr(0, host) + bucket + "." + endpoint.substr(host) + "/";
  }
  return query.empty() ? url : url + "?" + query;
}

std::string S3Bucket::ObjectUrl(const std::string& key, const std::string& query) const {
  std::string url = BucketUrl();
  if (addressing == S3Addressing::kPath) url += "/";
  url += AwsUriEncode(key, true);
  return query.empty() ? url : url + "?" + query;
}

Result<std::string> ParseS3Endpoint(const std::string& url) {
  std::string_view rest(url);
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return InvalidInput("must start with http:// or https://");
  }
  if (rest.ends_with("/")) rest.remove_suffix(1);
  if (rest.empty()) return InvalidInput("names no host");
  for (unsigned char c : rest) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':' || c == '[' ||
                         c == ']';
    if (!allowed) return InvalidInput("must be scheme://host[:port], without user, path or query");
  }
  return std::string(url.substr(0, url.size() - (url.ends_with("/") ? 1 : 0)));
}

std::optional<std::string> S3BucketNameProblem(const std::string& name) {
  if (name.size() < 3 || name.size() > 63) return "must be 3 to 63 characters long";
  for (unsigned char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) {
      return "may hold only lower-case letters, digits, '.' and '-'";
    }
  }
  const auto letter_or_digit = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (!letter_or_digit(name.front()) || !letter_or_digit(name.back())) {
    return "must begin and end with a letter or a digit";
  }
  if (name.find("..") != std::string::npos) return "must not hold two adjacent dots";
  const bool ipv4 = std::count(name.begin(), name.end(), '.') == 3 &&
                    std::all_of(name.begin(), name.end(),
                                [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
  if (ipv4) return "must not be an IP address";
  return std::nullopt;
}

std::string AwsUriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 0xf];
    }
  }
  return out;
}

std::string CanonicalQuery(std::vector<std::pair<std::string, std::string>> parameters) {
  for (auto& [name, value] : parameters) {
    name = AwsUriEncode(name, false);
    value = AwsUriEncode(value, false);
  }
  std::sort(parameters.begin(), parameters.end());
  std::string query;
  for (const auto& [name, value] : parameters) {
    if (!query.empty()) query += '&';
    query += name + "=" + value;
  }
  return query;
}

BodyDigests DigestOf(std::string_view body) {
  TwoDigests digests;
  digests.Update(body.data(), body.size());
  return digests.Finish();
}

Result<BodyDigests> DigestOf(const FileRange& range) {
  TwoDigests digests;
  std::vector<char> buffer(std::size_t{1} << 20);
  for (std::uint64_t done = 0; done < range.length;) {
    const size_t want =
        static_cast<size_t>(std::min<std::uint64_t>(buffer.size(), range.length - done));
    const ssize_t n =
        ::pread(range.fd, buffer.data(), want, static_cast<off_t>(range.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Internal("the archive could not be read");
    digests.Update(buffer.data(), static_cast<size_t>(n));
    done += static_cast<std::uint64_t>(n);
  }
  return digests.Finish();
}

std::string CompleteMultipartXml(const std::vector<std::string>& etags) {
  std::string xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (size_t i = 0; i < etags.size(); ++i) {
    xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
           XmlEscape(etags[i]) + "</ETag></Part>";
  }
  return xml + "</CompleteMultipartUpload>";
}

std::optional<std::string> XmlElementText(std::string_view xml, std::string_view name) {
  const std::string open = "<" + std::string(name) + ">";
  const std::string close = "</" + std::string(name) + ">";
  const size_t start = xml.find(open);
  if (start == std::string_view::npos) return std::nullopt;
  const size_t text = start + open.size();
  const size_t end = xml.find(close, text);
  if (end == std::string_view::npos) return std::nullopt;
  return XmlUnescape(xml.substr(text, end - text));
}

Error S3Failure(const std::string& what, const HttpAnswer& answer) {
  std::string message = what + ": HTTP " + std::to_string(answer.status);
  if (auto code = XmlElementText(answer.body, "Code")) message += " " + *code;
  if (auto text = XmlElementText(answer.body, "Message")) message += ": " + *text;
  const long status = answer.status;
  if (status == 401 || status == 403) return Forbidden(message);
  if (status == 408 || status == 429 || status >= 500) return Unavailable(message);
  return InvalidInput(message);
}

}  // namespace pacsport::delivery
