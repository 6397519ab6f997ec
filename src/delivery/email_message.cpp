#include "delivery/email_message.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <map>

#include "auth/random_token.h"
#include "core/clock.h"

namespace pacsport::delivery {
namespace {

constexpr std::size_t kMaxEncodedWordBytes = 45;  // 60 base64 characters + 12 = 75
constexpr std::size_t kMaxQuotedPrintableLine = 76;
constexpr std::size_t kMaxPlainLine = 76;

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

bool IsPrintableAscii(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

std::string Base64(std::string_view bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// How many bytes of `text` from `at` fit in `limit` without splitting a UTF-8 character.
std::size_t WholeCharacters(std::string_view text, std::size_t at, std::size_t limit) {
  std::size_t end = std::min(text.size(), at + limit);
  if (end == text.size()) return end - at;
  while (end > at && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return end > at ? end - at : std::min(limit, text.size() - at);
}

// RFC 5322 atext and space: a display name made of these needs no quotes.
bool IsPlainPhrase(std::string_view text) {
  for (unsigned char c : text) {
    if (!std::isalnum(c) && c != ' ' &&
        std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::string FormatMailbox(const Mailbox& mailbox) {
  if (mailbox.display_name.empty()) return mailbox.address;
  std::string name;
  if (!IsPrintableAscii(mailbox.display_name)) {
    name = EncodeHeaderText(mailbox.display_name, " ");
  } else if (IsPlainPhrase(mailbox.display_name)) {
    name = mailbox.display_name;
  } else {
    name = "\"";
    for (char c : mailbox.display_name) {
      if (c == '"' || c == '\\') name += '\\';
      name += c;
    }
    name += "\"";
  }
  return name + " <" + mailbox.address + ">";
}

bool ValidAddress(std::string_view address) {
  const auto at = address.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size() ||
      address.find('@', at + 1) != std::string_view::npos || address.size() > 254) {
    return false;
  }
  for (unsigned char c : address) {
    if (c <= 0x20 || c >= 0x7f ||
        std::string_view("<>()[]\\,;:\"").find(static_cast<char>(c)) != std::string_view::npos) {
      return false;
    }
  }
  const std::string_view domain = address.substr(at + 1);
  return domain.front() != '.' && domain.back() != '.' &&
         domain.find("..") == std::string_view::npos;
}

const std::map<std::string_view, std::string MessageFields::*>& Placeholders() {
  static const std::map<std::string_view, std::string MessageFields::*> placeholders = {
      {"hospital", &MessageFields::hospital}, {"archiveName", &MessageFields::archive_name},
      {"summary", &MessageFields::summary},   {"size", &MessageFields::size},
      {"link", &MessageFields::link},         {"expiresAt", &MessageFields::expires_at},
      {"jobId", &MessageFields::job_id}};
  return placeholders;
}

// Calls on_text(literal) and on_placeholder(name) in order; a '{' that does not open
// "{letters}" is literal text.
template <typename OnText, typename OnPlaceholder>
void WalkTemplate(std::string_view text, OnText on_text, OnPlaceholder on_placeholder) {
  std::size_t literal = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '{') continue;
    std::size_t end = i + 1;
    while (end < text.size() && std::isalpha(static_cast<unsigned char>(text[end]))) ++end;
    if (end == i + 1 || end == text.size() || text[end] != '}') continue;
    on_text(text.substr(literal, i - literal));
    on_placeholder(text.substr(i + 1, end - i - 1));
    literal = end + 1;
    i = end;
  }
  on_text(text.substr(literal));
}

// A value put into a header: control characters become spaces.
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (IsControl(static_cast<unsigned char>(c))) c = ' ';
  }
  return text;
}

// Lines of `text` without their line ends.
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

}  // namespace

Result<Mailbox> ParseMailbox(std::string_view text) {
  for (unsigned char c : text) {
    if (IsControl(c)) return InvalidInput("must not contain control characters (CR, LF)");
  }
  Mailbox mailbox;
  std::string_view address = text;
  if (!text.empty() && text.back() == '>') {
    const auto open = text.rfind('<');
    if (open == std::string_view::npos) return InvalidInput("has a '>' without its '<'");
    std::string_view name = text.substr(0, open);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
    }
    mailbox.display_name = std::string(name);
    address = text.substr(open + 1, text.size() - open - 2);
  }
  if (!ValidAddress(address)) {
    return InvalidInput(
        "must be an e-mail address (local@domain, ASCII), optionally as Name <address>");
  }
  mailbox.address = std::string(address);
  return mailbox;
}

Status CheckTemplate(std::string_view text, TemplateUse use, std::string_view what) {
  for (unsigned char c : text) {
    if (IsControl(c) && !(use == TemplateUse::kBody && (c == '\r' || c == '\n' || c == '\t'))) {
      return InvalidInput(std::string(what) + " must not contain control characters" +
                          (use == TemplateUse::kSubject ? " (a subject is one line)" : ""));
    }
  }
  std::string unknown;
  bool has_link = false;
  WalkTemplate(
      text, [](std::string_view) {},
      [&](std::string_view name) {
        if (name == "link") has_link = true;
        if (unknown.empty() && !Placeholders().contains(name)) unknown = std::string(name);
      });
  if (!unknown.empty()) {
    return InvalidInput(std::string(what) + " names an unknown placeholder {" + unknown +
                        "}; known: {hospital} {archiveName} {summary} {size} {link} "
                        "{expiresAt} {jobId}");
  }
  if (use == TemplateUse::kBody && !has_link) {
    return InvalidInput(std::string(what) + " must contain {link}: the e-mail carries the link");
  }
  return Status::Ok();
}

std::string RenderTemplate(std::string_view text, const MessageFields& fields) {
  std::string out;
  WalkTemplate(
      text, [&](std::string_view literal) { out += literal; },
      [&](std::string_view name) {
        const auto it = Placeholders().find(name);
        if (it != Placeholders().end()) out += fields.*(it->second);
      });
  return out;
}

std::string ReadableSize(std::uint64_t bytes) {
  static constexpr std::array<const char*, 5> kUnits = {"kB", "MB", "GB", "TB", "PB"};
  if (bytes < 1000) return std::to_string(bytes) + " bytes";
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  for (value /= 1000; value >= 999.95 && unit + 1 < kUnits.size(); value /= 1000) ++unit;
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, kUnits[unit]);
  return text;
}

std::string NewMessageId(const Mailbox& from) {
  const std::string domain = from.address.substr(from.address.find('@') + 1);
  return "<" + auth::RandomBase64Url(18) + "@" + domain + ">";
}

std::string EncodeHeaderText(std::string_view text, std::string_view separator) {
  if (IsPrintableAscii(text)) return std::string(text);
  std::string out;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t take = WholeCharacters(text, at, kMaxEncodedWordBytes);
    if (!out.empty()) out += separator;
    out += "=?UTF-8?B?" + Base64(text.substr(at, take)) + "?=";
    at += take;
  }
  return out;
}

std::string EncodeQuotedPrintable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (std::string_view line : Lines(text)) {
    std::size_t width = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const auto c = static_cast<unsigned char>(line[i]);
      const bool last = i + 1 == line.size();
      const bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
      const std::string piece = literal ? std::string(1, static_cast<char>(c))
                                        : std::string{'=', kHex[c >> 4], kHex[c & 0xF]};
      // A soft break "=" must fit on the line, unless this piece ends the line.
      const std::size_t room = last ? kMaxQuotedPrintableLine : kMaxQuotedPrintableLine - 1;
      if (width + piece.size() > room) {
        out += "=\r\n";
        width = 0;
      }
      out += piece;
      width += piece.size();
    }
    out += "\r\n";
  }
  return out;
}

std::string Rfc5322Date(std::chrono::system_clock::time_point t) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[utc.tm_wday],
                utc.tm_mday, kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                utc.tm_sec);
  return text;
}

std::string FormatMessage(const EmailMessage& message) {
  std::string to;
  for (const Mailbox& mailbox : message.to) {
    to += (to.empty() ? "" : ",\r\n ") + FormatMailbox(mailbox);
  }
  bool plain = true;
  for (std::string_view line : Lines(message.body)) {
    if (line.size() > kMaxPlainLine || !IsPrintableAscii(line)) plain = false;
  }
  std::string out;
  out += "Date: " + Rfc5322Date(message.date) + "\r\n";
  out += "From: " + FormatMailbox(message.from) + "\r\n";
  out += "To: " + to + "\r\n";
  out += "Subject: " + EncodeHeaderText(OneLine(message.subject), "\r\n ") + "\r\n";
  out += "Message-ID: " + message.message_id + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out +=
      std::string("Content-Transfer-Encoding: ") + (plain ? "7bit" : "quoted-printable") + "\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "\r\n";
  if (plain) {
    for (std::string_view line : Lines(message.body)) {
      out += line;
      out += "\r\n";
    }
  } else {
    out += EncodeQuotedPrintable(message.body);
  }
  return out;
}

}  // namespace pacsport::delivery
