// The e-mail sender against a real SMTP server: Debian's aiosmtpd, started from
// tests/integration/smtp_server.py (tests run from the source tree's root).
#include "delivery/email_sender.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <thread>

#include "tests/support/temp_dir.h"

namespace pacsport::delivery {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

// Records the links it issues.
class FakeLinks : public ArchiveLinks {
 public:
  Result<std::string> Issue(const OutgoingArchive& archive,
                            std::chrono::system_clock::time_point expires) override {
    std::lock_guard lock(mutex_);
    issued.push_back({archive.job_id, expires});
    return "https://pacs.example/api/deliveries/TOKEN" + std::to_string(issued.size());
  }
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::chrono::system_clock::time_point>> issued;
};

// aiosmtpd on 127.0.0.1 with its Maildir in `dir`; stopped when destroyed.
class SmtpServer {
 public:
  SmtpServer(const std::filesystem::path& dir, std::vector<std::string> options = {})
      : maildir_(dir / "Maildir") {
    const std::string port_file = (dir / "smtp.port").string();
    std::vector<std::string> args = {"/usr/bin/python3", "tests/integration/smtp_server.py",
                                     "--maildir",        maildir_.string(),
                                     "--port-file",      port_file};
    args.insert(args.end(), options.begin(), options.end());
    const std::string log = (dir / "smtp.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (std::string& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    for (int i = 0; i < 400 && port == 0; ++i) {
      std::ifstream in(port_file);
      in >> port;
      if (port == 0) std::this_thread::sleep_for(50ms);
    }
  }
  ~SmtpServer() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  std::vector<std::string> Messages() const {
    std::vector<std::string> messages;
    if (!std::filesystem::exists(maildir_ / "new")) return messages;
    for (const auto& entry : std::filesystem::directory_iterator(maildir_ / "new")) {
      messages.push_back(testing::ReadFile(entry.path()));
    }
    return messages;
  }
  std::string Url(const std::string& scheme = "smtp") const {
    return scheme + "://127.0.0.1:" + std::to_string(port);
  }
  int port = 0;

 private:
  std::filesystem::path maildir_;
  pid_t pid_ = -1;
};

OutgoingArchive Archive() {
  OutgoingArchive archive;
  archive.size = 12'400'000;
  archive.name = "patient_PID-SECRET_export.zip";
  archive.content_type = "application/zip";
  archive.job_id = "J42";
  archive.hospital_name = "Hôpital Saint-Éloi";
  archive.username = "alice";
  archive.summary = "patient export, 1 study, 12 instances";
  return archive;
}

SenderContext Context(FakeLinks& links) {
  SenderContext context;
  context.links = &links;
  context.email_link_lifetime = 3600s;
  context.retry = {3, 10ms, 20ms};
  return context;
}

json Settings(const SmtpServer& server) {
  return {{"url", server.Url()},
          {"starttls", "none"},
          {"from", "PACS export <pacsport@hospital.example>"},
          {"to", {"a@example.org", "Zoë <zoe@example.org>"}}};
}

Error MakeError(const json& settings, const json& secrets = json::object()) {
  FakeLinks links;
  auto sender = MakeEmailSender(settings, secrets, Context(links));
  EXPECT_FALSE(sender.ok()) << settings.dump();
  return sender.ok() ? Internal("made") : sender.error();
}

TEST(EmailSettings, RefuseWhatCannotWork) {
  const json good = {{"url", "smtp://127.0.0.1:2525"},
                     {"starttls", "none"},
                     {"from", "pacsport@hospital.example"},
                     {"to", {"a@example.org"}}};
  FakeLinks links;
  EXPECT_TRUE(MakeEmailSender(good, json::object(), Context(links)).ok());
  const auto refused = [&](const std::string& key, const json& value, const std::string& names) {
    json settings = good;
    if (value.is_null())
      settings.erase(key);
    else
      settings[key] = value;
    const Error error = MakeError(settings);
    EXPECT_EQ(error.code(), ErrorCode::kInvalidInput) << key;
    EXPECT_NE(error.message().find(names), std::string::npos) << error.message();
  };
  refused("url", nullptr, "settings.url");
  refused("url", "http://127.0.0.1", "settings.url");
  refused("url", "smtp://user:pw@127.0.0.1", "settings.url");
  refused("url", "smtp://127.0.0.1:99999", "settings.url");
  refused("url", "smtp://mail.example.org/path", "settings.url");
  refused("url", "smtp://mail.example.org", "settings.starttls");  // "none" off loopback
  refused("url", "smtps://127.0.0.1", "settings.starttls");
  refused("starttls", "optional", "settings.starttls");
  refused("from", nullptr, "settings.from");
  refused("from", "pacsport@hospital.example\r\nBcc: victim@example.org", "settings.from");
  refused("to", nullptr, "settings.to");
  refused("to", json::array(), "settings.to");
  refused("to", {"a@example.org", "b@example.org\nBcc: c@example.org"}, "settings.to item 2");
  refused("to", "a@example.org", "settings.to");
  json many = json::array();
  for (int i = 0; i < 51; ++i) many.push_back("r" + std::to_string(i) + "@example.org");
  refused("to", many, "at most 50");
  refused("subject", "Ready\r\nBcc: victim@example.org", "settings.subject");
  refused("subject", "{patientName}", "settings.subject");
  refused("body", "Your export is ready.", "{link}");
  refused("caFile", "/nonexistent/ca.pem", "settings.caFile");
  refused("bucket", "b", "settings.bucket is not a known key");
  EXPECT_NE(MakeError(good, {{"password", "pw"}}).message().find("secrets.password"),
            std::string::npos);
  EXPECT_NE(MakeError(good, {{"token", "t"}}).message().find("secrets.token"), std::string::npos);
  json with_user = good;
  with_user["username"] = "pacs";
  EXPECT_TRUE(MakeEmailSender(with_user, {{"password", "pw"}}, Context(links)).ok());
  // Loopback hosts may go without TLS.
  for (const char* url : {"smtp://localhost", "smtp://127.1.2.3:25", "smtp://[::1]:2525"}) {
    json loopback = good;
    loopback["url"] = url;
    EXPECT_TRUE(MakeEmailSender(loopback, json::object(), Context(links)).ok()) << url;
  }
}

TEST(EmailSender, SendsTheLinkNeverTheArchive) {
  testing::TempDir dir;
  SmtpServer server(dir.path());
  ASSERT_NE(server.port, 0);
  FakeLinks links;
  auto sender = MakeEmailSender(Settings(server), json::object(), Context(links));
  ASSERT_TRUE(sender.ok()) << sender.error().message();
  EXPECT_TRUE((*sender)->Check({}).ok());
  EXPECT_TRUE(server.Messages().empty());  // Check sends nothing

  std::atomic<std::uint64_t> sent{0};
  const auto before = std::chrono::system_clock::now();
  auto receipt = (*sender)->Send(Archive(), {}, sent);
  ASSERT_TRUE(receipt.ok()) << receipt.error().message();
  ASSERT_EQ(links.issued.size(), 1u);
  EXPECT_EQ(links.issued[0].first, "J42");
  EXPECT_GE(links.issued[0].second, before + 3600s);
  EXPECT_EQ(receipt->where["kind"], "email");
  EXPECT_EQ(receipt->where["recipients"], json({"a@example.org", "zoe@example.org"}));
  EXPECT_EQ(receipt->where["linkExpiresAt"], receipt->keep_archive_until);
  const std::string message_id = receipt->where["messageId"];
  EXPECT_TRUE(message_id.ends_with("@hospital.example>"));

  const auto messages = server.Messages();
  ASSERT_EQ(messages.size(), 1u);
  const std::string& message = messages[0];
  EXPECT_NE(message.find("X-RcptTo: a@example.org, zoe@example.org"), std::string::npos) << message;
  EXPECT_NE(message.find("X-MailFrom: pacsport@hospital.example"), std::string::npos);
  EXPECT_NE(message.find("Message-ID: " + message_id), std::string::npos);
  EXPECT_NE(message.find("https://pacs.example/api/deliveries/TOKEN1"), std::string::npos);
  EXPECT_NE(message.find("export_J42.zip"), std::string::npos);
  EXPECT_EQ(message.find("PID-SECRET"), std::string::npos);  // the archive's own name
  EXPECT_EQ(message.find("Content-Disposition"), std::string::npos);
}

TEST(EmailSender, RetriesADeferralThenDelivers) {
  testing::TempDir dir;
  SmtpServer server(dir.path(), {"--defer-rcpt", "2"});
  FakeLinks links;
  std::atomic<std::uint64_t> sent{0};
  auto receipt = MakeEmailSender(Settings(server), json::object(), Context(links))
                     .value()
                     ->Send(Archive(), {}, sent);
  ASSERT_TRUE(receipt.ok()) << receipt.error().message();
  EXPECT_EQ(links.issued.size(), 1u);  // one link, whatever the attempts
  EXPECT_EQ(server.Messages().size(), 1u);
}

TEST(EmailSender, ARefusedRecipientIsFinal) {
  testing::TempDir dir;
  SmtpServer server(dir.path(), {"--refuse-rcpt", "zoe@example.org"});
  FakeLinks links;
  std::atomic<std::uint64_t> sent{0};
  auto receipt = MakeEmailSender(Settings(server), json::object(), Context(links))
                     .value()
                     ->Send(Archive(), {}, sent);
  ASSERT_FALSE(receipt.ok());
  EXPECT_EQ(receipt.error().code(), ErrorCode::kInvalidInput);
  EXPECT_NE(receipt.error().message().find("550"), std::string::npos) << receipt.error().message();
  EXPECT_TRUE(server.Messages().empty());
}

TEST(EmailSender, AServerDownIsUnavailableAfterTheRetries) {
  int port;
  {
    testing::TempDir dir;
    SmtpServer server(dir.path());
    port = server.port;
  }
  json settings = {{"url", "smtp://127.0.0.1:" + std::to_string(port)},
                   {"starttls", "none"},
                   {"from", "pacsport@hospital.example"},
                   {"to", {"a@example.org"}}};
  FakeLinks links;
  auto sender = MakeEmailSender(settings, json::object(), Context(links)).value();
  std::atomic<std::uint64_t> sent{0};
  const auto started = std::chrono::steady_clock::now();
  auto receipt = sender->Send(Archive(), {}, sent);
  ASSERT_FALSE(receipt.ok());
  EXPECT_EQ(receipt.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(receipt.error().message().find("SMTP smtp://127.0.0.1:"), std::string::npos);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 20ms);  // it paused between attempts
  EXPECT_EQ(sender->Check({}).error().code(), ErrorCode::kUnavailable);
}

TEST(EmailSender, StartTlsWithAuthentication) {
  testing::TempDir dir;
  const auto cert = dir.path() / "cert.pem";
  const auto key = dir.path() / "key.pem";
  const std::string openssl =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout " +
      key.string() + " -out " + cert.string() + " 2>/dev/null";
  ASSERT_EQ(std::system(openssl.c_str()), 0);
  SmtpServer server(dir.path(), {"--tls-cert", cert.string(), "--tls-key", key.string(), "--user",
                                 "pacs", "--password", "s3cret"});
  ASSERT_NE(server.port, 0);
  json settings = {{"url", server.Url()},
                   {"caFile", cert.string()},
                   {"username", "pacs"},
                   {"from", "pacsport@hospital.example"},
                   {"to", {"a@example.org"}}};
  FakeLinks links;
  std::atomic<std::uint64_t> sent{0};

  auto good = MakeEmailSender(settings, {{"password", "s3cret"}}, Context(links)).value();
  EXPECT_TRUE(good->Check({}).ok());
  ASSERT_TRUE(good->Send(Archive(), {}, sent).ok());
  EXPECT_EQ(server.Messages().size(), 1u);

  auto wrong = MakeEmailSender(settings, {{"password", "wrong"}}, Context(links)).value();
  const Status refused = wrong->Check({});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kForbidden) << refused.error().message();
  EXPECT_EQ(refused.error().message().find("wrong"), std::string::npos);
  EXPECT_EQ(wrong->Send(Archive(), {}, sent).error().code(), ErrorCode::kForbidden);

  // The server's certificate is not trusted without caFile.
  settings.erase("caFile");
  auto untrusted = MakeEmailSender(settings, {{"password", "s3cret"}}, Context(links)).value();
  const Status distrusted = untrusted->Check({});
  ASSERT_FALSE(distrusted.ok());
  EXPECT_EQ(distrusted.error().code(), ErrorCode::kInvalidInput) << distrusted.error().message();
  EXPECT_EQ(server.Messages().size(), 1u);
}

TEST(EmailSender, RefusesToSendWithoutLinks) {
  SenderContext context;  // no public URL: no links
  auto sender = MakeEmailSender({{"url", "smtp://127.0.0.1"},
                                 {"starttls", "none"},
                                 {"from", "pacsport@hospital.example"},
                                 {"to", {"a@example.org"}}},
                                json::object(), context)
                    .value();
  std::atomic<std::uint64_t> sent{0};
  auto receipt = sender->Send(Archive(), {}, sent);
  ASSERT_FALSE(receipt.ok());
  EXPECT_NE(receipt.error().message().find("public_url"), std::string::npos);
}

}  // namespace
}  // namespace pacsport::delivery
