#include "delivery/email_sender.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "core/clock.h"
#include "delivery/email_message.h"
#include "delivery/settings_reader.h"

namespace pacsport::delivery {
namespace {

enum class Tls { kImplicit, kStartTls, kNone };

struct EmailSettings {
  std::string url;  // scheme://host:port, as libcurl takes it
  Tls tls = Tls::kStartTls;
  std::string ca_file;
  Mailbox from;
  std::vector<Mailbox> to;
  std::string username;
  std::string password;
  std::string subject{kDefaultSubject};
  std::string body{kDefaultBody};
};

struct SmtpUrl {
  bool implicit_tls = false;
  std::string host;  // an IPv6 address keeps its brackets
  int port = 0;
};

std::optional<SmtpUrl> ParseSmtpUrl(const std::string& url) {
  SmtpUrl parsed;
  std::string_view rest = url;
  if (rest.starts_with("smtp://")) {
    rest.remove_prefix(7);
    parsed.port = 25;
  } else if (rest.starts_with("smtps://")) {
    rest.remove_prefix(8);
    parsed.implicit_tls = true;
    parsed.port = 465;
  } else {
    return std::nullopt;
  }
  if (rest.ends_with("/")) rest.remove_suffix(1);
  std::string_view port;
  if (rest.starts_with("[")) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    parsed.host = std::string(rest.substr(0, close + 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty() && !rest.starts_with(":")) return std::nullopt;
    if (!rest.empty()) port = rest.substr(1);
    const std::string_view inner = std::string_view(parsed.host).substr(1, parsed.host.size() - 2);
    if (inner.empty() ||
        inner.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos)
      return std::nullopt;
  } else {
    const auto colon = rest.find(':');
    parsed.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
    if (parsed.host.empty() ||
        parsed.host.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
            std::string::npos)
      return std::nullopt;
  }
  if (!port.empty() || rest.ends_with(":")) {
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string_view::npos)
      return std::nullopt;
    parsed.port = std::stoi(std::string(port));
    if (parsed.port < 1 || parsed.port > 65535) return std::nullopt;
  }
  return parsed;
}

bool IsLoopback(const std::string& host) {
  if (host == "localhost" || host == "[::1]") return true;
  // 127.0.0.0/8 as four decimal parts.
  int parts = 0;
  std::size_t at = 0;
  while (at <= host.size()) {
    const auto dot = std::min(host.find('.', at), host.size());
    const std::string part = host.substr(at, dot - at);
    if (part.empty() || part.size() > 3 ||
        part.find_first_not_of("0123456789") != std::string::npos || std::stoi(part) > 255 ||
        (parts == 0 && part != "127"))
      return false;
    ++parts;
    at = dot + 1;
  }
  return parts == 4;
}

// Reads and checks the settings and secrets into `out`; the first error, as SettingsReader.
Status ReadSettings(const nlohmann::json& settings, const nlohmann::json& secrets,
                    EmailSettings& out) {
  SettingsReader reader(settings, "settings");
  const std::string url = reader.RequiredString("url");
  const std::optional<std::string> starttls = reader.TakeString("starttls");
  out.ca_file = reader.TakeString("caFile").value_or("");
  const std::string from = reader.RequiredString("from");
  const std::optional<std::vector<std::string>> to = reader.TakeStrings("to");
  out.username = reader.TakeString("username").value_or("");
  const std::optional<std::string> subject = reader.TakeString("subject");
  const std::optional<std::string> body = reader.TakeString("body");

  if (!url.empty()) {
    const std::optional<SmtpUrl> parsed = ParseSmtpUrl(url);
    if (!parsed) {
      reader.Fail("url", "must be smtp://host[:port] or smtps://host[:port]");
    } else {
      out.url = std::string(parsed->implicit_tls ? "smtps://" : "smtp://") + parsed->host + ":" +
                std::to_string(parsed->port);
      if (parsed->implicit_tls) {
        out.tls = Tls::kImplicit;
        if (starttls && *starttls != "required") {
          reader.Fail("starttls",
                      "must be \"required\" or absent with smtps://, which is always TLS");
        }
      } else if (!starttls || *starttls == "required") {
        out.tls = Tls::kStartTls;
      } else if (*starttls == "none") {
        out.tls = Tls::kNone;
        if (!IsLoopback(parsed->host)) {
          reader.Fail("starttls",
                      "\"none\" is allowed only to a loopback host (127.0.0.1, ::1, localhost): "
                      "the e-mailed link must not cross a network in clear");
        }
      } else {
        reader.Fail("starttls", "must be \"required\" or \"none\"");
      }
    }
  }
  if (!out.ca_file.empty() && ::access(out.ca_file.c_str(), R_OK) != 0) {
    reader.Fail("caFile", "is not a readable file on the server");
  }
  if (!from.empty()) {
    auto mailbox = ParseMailbox(from);
    if (mailbox.ok())
      out.from = *mailbox;
    else
      reader.Fail("from", mailbox.error().message());
  }
  if (!to) {
    reader.Fail("to", "is required");
  } else if (to->size() > kMaxEmailRecipients) {
    reader.Fail("to", "may name at most " + std::to_string(kMaxEmailRecipients) + " recipients");
  } else {
    for (std::size_t i = 0; i < to->size() && out.to.size() == i; ++i) {
      auto mailbox = ParseMailbox((*to)[i]);
      if (mailbox.ok())
        out.to.push_back(*mailbox);
      else
        reader.Fail("to", "item " + std::to_string(i + 1) + " " + mailbox.error().message());
    }
  }
  if (subject) {
    const Status checked = CheckTemplate(*subject, TemplateUse::kSubject, "settings.subject");
    if (!checked.ok()) return checked;
    out.subject = *subject;
  }
  if (body) {
    const Status checked = CheckTemplate(*body, TemplateUse::kBody, "settings.body");
    if (!checked.ok()) return checked;
    out.body = *body;
  }
  if (Status finished = reader.Finish(); !finished.ok()) return finished;

  SettingsReader secret_reader(secrets, "secrets");
  out.password = secret_reader.TakeString("password").value_or("");
  if (!out.password.empty() && out.username.empty()) {
    secret_reader.Fail("password", "needs settings.username");
  }
  return secret_reader.Finish();
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// One SMTP conversation's state for libcurl's callbacks.
struct Conversation {
  std::stop_token stop;
  std::string_view upload;  // the message, while it is sent
  std::size_t uploaded = 0;
  std::string last_refusal;  // the server's last 4xx or 5xx reply line
};

size_t ReadMessage(char* buffer, size_t size, size_t count, void* user) {
  auto& conversation = *static_cast<Conversation*>(user);
  const size_t take = std::min(size * count, conversation.upload.size() - conversation.uploaded);
  std::copy_n(conversation.upload.data() + conversation.uploaded, take, buffer);
  conversation.uploaded += take;
  return take;
}

size_t Discard(char*, size_t size, size_t count, void*) { return size * count; }

// Keeps the server's last refusal (a 4xx or 5xx reply line), to explain a failure;
// what we send (AUTH with its credentials) is never looked at.
int KeepRefusals(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN || size < 3 || (data[0] != '4' && data[0] != '5')) return 0;
  std::string line(data, size);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  static_cast<Conversation*>(user)->last_refusal = line.substr(0, 200);
  return 0;
}

int StopRequested(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<Conversation*>(user)->stop.stop_requested() ? 1 : 0;
}

bool RefusesCredentials(long reply) {
  return reply == 530 || reply == 534 || reply == 535 || reply == 538;
}

// Translates libcurl's outcome and the server's last reply into our vocabulary.
Status Outcome(CURLcode code, long reply, const Conversation& conversation,
               const std::string& what) {
  if (code == CURLE_OK) return Status::Ok();
  if (conversation.stop.stop_requested()) return Unavailable(what + ": stopped");
  const std::string said = conversation.last_refusal.empty()
                               ? std::string(curl_easy_strerror(code))
                               : "the server answered \"" + conversation.last_refusal + "\"";
  if (code == CURLE_LOGIN_DENIED || RefusesCredentials(reply)) {
    return Forbidden(what + ": the SMTP server refused the credentials (" + said + ")");
  }
  if (reply >= 500 && reply < 600) return InvalidInput(what + ": the SMTP server refused: " + said);
  if (reply >= 400 && reply < 500) return Unavailable(what + ": the SMTP server deferred: " + said);
  switch (code) {
    case CURLE_USE_SSL_FAILED:
      return InvalidInput(what + ": the SMTP server does not offer STARTTLS");
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      return InvalidInput(what + ": the SMTP server's certificate cannot be trusted (" +
                          curl_easy_strerror(code) + ")");
    default:
      return Unavailable(what + ": " + curl_easy_strerror(code));
  }
}

class EmailSender final : public ArchiveSender {
 public:
  EmailSender(EmailSettings settings, const SenderContext& context)
      : settings_(std::move(settings)), context_(context) {}

  Status Check(std::stop_token stop) override {
    if (Status ready = LinksReady(); !ready.ok()) return ready;
    return Converse(nullptr, stop);
  }

  Result<DeliveryReceipt> Send(const OutgoingArchive& archive, std::stop_token stop,
                               std::atomic<std::uint64_t>&) override {
    if (Status ready = LinksReady(); !ready.ok()) return ready.error();
    const auto now = std::chrono::system_clock::now();
    const auto expires = now + context_.email_link_lifetime;
    auto link = context_.links->Issue(archive, expires);
    if (!link.ok()) return link.error();

    const MessageFields fields{
        archive.hospital_name,
        "export_" + archive.job_id + (archive.content_type == "application/zip" ? ".zip" : ".json"),
        archive.summary,
        ReadableSize(archive.size),
        *link,
        Iso8601(expires),
        archive.job_id};
    EmailMessage message{settings_.from,
                         settings_.to,
                         RenderTemplate(settings_.subject, fields),
                         RenderTemplate(settings_.body, fields),
                         now,
                         NewMessageId(settings_.from)};
    const std::string text = FormatMessage(message);
    const Status sent = Retry(context_.retry, stop, [&] { return Converse(&text, stop); });
    if (!sent.ok()) return sent.error();

    nlohmann::ordered_json recipients = nlohmann::ordered_json::array();
    for (const Mailbox& mailbox : settings_.to) recipients.push_back(mailbox.address);
    DeliveryReceipt receipt;
    receipt.where = {{"kind", "email"},
                     {"recipients", recipients},
                     {"messageId", message.message_id},
                     {"linkExpiresAt", Iso8601(expires)}};
    receipt.keep_archive_until = Iso8601(expires);
    return receipt;
  }

 private:
  Status LinksReady() const {
    if (context_.links != nullptr) return Status::Ok();
    return InvalidInput(
        "e-mail delivery needs the server's public URL for its links ([delivery] public_url)");
  }

  // One SMTP conversation: greeting, EHLO, TLS and AUTH as set, then the message to
  // every recipient, or NOOP when `message` is null; then QUIT.
  Status Converse(const std::string* message, std::stop_token stop) const {
    const std::string what = "SMTP " + settings_.url;
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) return Internal(what + ": libcurl cannot start a transfer");
    CURL* c = curl.get();
    Conversation conversation{stop, {}, 0, {}};
    curl_easy_setopt(c, CURLOPT_URL, settings_.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     settings_.tls == Tls::kNone ? static_cast<long>(CURLUSESSL_NONE)
                                                 : static_cast<long>(CURLUSESSL_ALL));
    if (!settings_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, settings_.ca_file.c_str());
    if (!settings_.username.empty()) {
      curl_easy_setopt(c, CURLOPT_USERNAME, settings_.username.c_str());
      curl_easy_setopt(c, CURLOPT_PASSWORD, settings_.password.c_str());
    }
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, KeepRefusals);
    curl_easy_setopt(c, CURLOPT_DEBUGDATA, &conversation);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, StopRequested);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &conversation);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Discard);

    std::unique_ptr<curl_slist, CurlDeleter> recipients;
    const std::string from = "<" + settings_.from.address + ">";
    if (message != nullptr) {
      for (const Mailbox& mailbox : settings_.to) {
        const std::string to = "<" + mailbox.address + ">";
        recipients.reset(curl_slist_append(recipients.release(), to.c_str()));
      }
      conversation.upload = *message;
      curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
      curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
      curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message->size()));
      curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadMessage);
      curl_easy_setopt(c, CURLOPT_READDATA, &conversation);
    } else {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "NOOP");
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    }
    const CURLcode code = curl_easy_perform(c);
    long reply = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
    return Outcome(code, reply, conversation, what);
  }

  const EmailSettings settings_;
  const SenderContext context_;
};

}  // namespace

Result<std::unique_ptr<ArchiveSender>> MakeEmailSender(const nlohmann::json& settings,
                                                       const nlohmann::json& secrets,
                                                       const SenderContext& context) {
  EmailSettings read;
  if (Status status = ReadSettings(settings, secrets, read); !status.ok()) return status.error();
  return std::unique_ptr<ArchiveSender>(std::make_unique<EmailSender>(std::move(read), context));
}

}  // namespace pacsport::delivery
