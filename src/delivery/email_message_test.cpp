#include "delivery/email_message.h"

#include <gtest/gtest.h>

namespace pacsport::delivery {
namespace {

using namespace std::chrono_literals;

MessageFields Fields() {
  return {"Hôpital Saint-Éloi",
          "export_J1.zip",
          "study export, 1 study, 12 instances",
          "12.4 MB",
          "https://pacs.example/api/deliveries/TOKEN",
          "2026-12-06T10:00:00.000Z",
          "J1"};
}

EmailMessage Message() {
  EmailMessage message;
  message.from = {"", "pacsport@hospital.example"};
  message.to = {{"", "a@example.org"}, {"Jane Doe", "jane@example.org"}};
  message.subject = "Export ready";
  message.body = "Hello.\nThe link: https://pacs.example/x\n";
  message.date = std::chrono::sys_days{std::chrono::December / 3 / 2026} + 20h + 50min + 30s;
  message.message_id = "<id1@hospital.example>";
  return message;
}

// The value of header `name` (with folded lines unfolded), or "" when absent.
std::string Header(const std::string& text, const std::string& name) {
  const std::string head = text.substr(0, text.find("\r\n\r\n") + 2);
  const auto at = head.find(name + ": ");
  if (at == std::string::npos || (at != 0 && head[at - 1] != '\n')) return "";
  std::string value;
  for (std::size_t i = at + name.size() + 2; i < head.size(); ++i) {
    if (head.compare(i, 3, "\r\n ") == 0) {
      i += 1;
      continue;
    }
    if (head.compare(i, 2, "\r\n") == 0) break;
    value += head[i];
  }
  return value;
}

std::string Body(const std::string& text) { return text.substr(text.find("\r\n\r\n") + 4); }

TEST(ParseMailbox, TakesAnAddressOrANameWithAnAddress) {
  auto plain = ParseMailbox("a.b+c@example.org");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->address, "a.b+c@example.org");
  EXPECT_EQ(plain->display_name, "");
  auto named = ParseMailbox("\"Dr. Zoë Müller\" <zoe@example.org>");
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->address, "zoe@example.org");
  EXPECT_EQ(named->display_name, "Dr. Zoë Müller");
}

TEST(ParseMailbox, RefusesLineBreaksAndMalformedAddresses) {
  for (const char* bad :
       {"a@example.org\r\nBcc: victim@example.org", "Name\n <a@example.org>", "a@example.org\r",
        "no-at-sign", "@example.org", "a@", "a@@b", "two@at@example.org", "a b@example.org",
        "a@exa mple.org", "zoë@example.org", "a@example.org, b@example.org", "<a@example.org",
        "Name a@example.org>", "a@.example.org", "a@example..org"}) {
    auto parsed = ParseMailbox(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidInput) << bad;
    }
  }
}

TEST(Template, RendersEveryPlaceholder) {
  const std::string text =
      "{hospital}|{archiveName}|{summary}|{size}|{link}|{expiresAt}|{jobId}|{ not one}|{}";
  ASSERT_TRUE(CheckTemplate(text, TemplateUse::kBody, "settings.body").ok());
  EXPECT_EQ(RenderTemplate(text, Fields()),
            "Hôpital Saint-Éloi|export_J1.zip|study export, 1 study, 12 instances|12.4 MB|"
            "https://pacs.example/api/deliveries/TOKEN|2026-12-06T10:00:00.000Z|J1|{ not one}|{}");
}

TEST(Template, RefusesUnknownPlaceholdersAndABodyWithoutItsLink) {
  const Status unknown = CheckTemplate("{link} {patientName}", TemplateUse::kBody, "settings.body");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code(), ErrorCode::kInvalidInput);
  EXPECT_NE(unknown.error().message().find("{patientName}"), std::string::npos);
  const Status no_link =
      CheckTemplate("Your export is ready.", TemplateUse::kBody, "settings.body");
  ASSERT_FALSE(no_link.ok());
  EXPECT_NE(no_link.error().message().find("{link}"), std::string::npos);
  EXPECT_TRUE(CheckTemplate("Ready: {jobId}", TemplateUse::kSubject, "settings.subject").ok());
}

TEST(Template, RefusesALineBreakInASubject) {
  EXPECT_FALSE(CheckTemplate("Ready\r\nBcc: victim@example.org", TemplateUse::kSubject, "s").ok());
  EXPECT_FALSE(CheckTemplate("Ready\n", TemplateUse::kSubject, "s").ok());
  EXPECT_TRUE(CheckTemplate("line 1\r\nline 2 {link}\n", TemplateUse::kBody, "s").ok());
  EXPECT_FALSE(CheckTemplate("bell \a {link}", TemplateUse::kBody, "s").ok());
}

TEST(Template, DefaultsAreValidAndNameNoPatient) {
  EXPECT_TRUE(CheckTemplate(kDefaultSubject, TemplateUse::kSubject, "subject").ok());
  EXPECT_TRUE(CheckTemplate(kDefaultBody, TemplateUse::kBody, "body").ok());
}

TEST(ReadableSize, UsesDecimalUnits) {
  EXPECT_EQ(ReadableSize(0), "0 bytes");
  EXPECT_EQ(ReadableSize(999), "999 bytes");
  EXPECT_EQ(ReadableSize(1000), "1.0 kB");
  EXPECT_EQ(ReadableSize(12'400'000), "12.4 MB");
  EXPECT_EQ(ReadableSize(999'960), "1.0 MB");
  EXPECT_EQ(ReadableSize(3'000'000'000'000), "3.0 TB");
}

TEST(Rfc5322Date, FormatsInUtc) {
  EXPECT_EQ(Rfc5322Date(Message().date), "Thu, 03 Dec 2026 20:50:30 +0000");
  EXPECT_EQ(Rfc5322Date(std::chrono::sys_days{std::chrono::March / 1 / 2027}),
            "Mon, 01 Mar 2027 00:00:00 +0000");
}

TEST(FormatMessage, WritesTheHeadersAndA7bitBody) {
  const std::string text = FormatMessage(Message());
  EXPECT_TRUE(text.starts_with("Date: Thu, 03 Dec 2026 20:50:30 +0000\r\n")) << text;
  EXPECT_EQ(Header(text, "From"), "pacsport@hospital.example");
  EXPECT_EQ(Header(text, "To"), "a@example.org, Jane Doe <jane@example.org>");
  EXPECT_EQ(Header(text, "Subject"), "Export ready");
  EXPECT_EQ(Header(text, "Message-ID"), "<id1@hospital.example>");
  EXPECT_EQ(Header(text, "MIME-Version"), "1.0");
  EXPECT_EQ(Header(text, "Content-Type"), "text/plain; charset=UTF-8");
  EXPECT_EQ(Header(text, "Content-Transfer-Encoding"), "7bit");
  EXPECT_EQ(Header(text, "Auto-Submitted"), "auto-generated");
  EXPECT_EQ(Body(text), "Hello.\r\nThe link: https://pacs.example/x\r\n");
  // Every line ends with CRLF; no bare LF.
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      EXPECT_EQ(text[i - 1], '\r') << i;
    }
  }
}

TEST(FormatMessage, EncodesNonAsciiNamesAndSubjects) {
  EmailMessage message = Message();
  message.from = {"Hôpital Saint-Éloi", "pacsport@hospital.example"};
  message.to = {{"O'Brien, Seán", "sean@example.org"}, {"Dr. Who", "who@example.org"}};
  message.subject = "Export J1 from Hôpital Saint-Éloi is ready";
  const std::string text = FormatMessage(message);
  EXPECT_EQ(Header(text, "From"),
            "=?UTF-8?B?SMO0cGl0YWwgU2FpbnQtw4lsb2k=?= <pacsport@hospital.example>");
  EXPECT_EQ(Header(text, "To"),
            "=?UTF-8?B?TydCcmllbiwgU2XDoW4=?= <sean@example.org>, \"Dr. Who\" <who@example.org>");
  EXPECT_EQ(Header(text, "Subject"),
            "=?UTF-8?B?RXhwb3J0IEoxIGZyb20gSMO0cGl0YWwgU2FpbnQtw4lsb2kgaXMgcmVhZHk=?=");
  // The head is ASCII only.
  const std::string head = text.substr(0, text.find("\r\n\r\n"));
  for (unsigned char c : head) EXPECT_LT(c, 0x80);
}

TEST(FormatMessage, ReplacesControlCharactersInTheSubject) {
  EmailMessage message = Message();
  message.subject = "Ready\r\nBcc: victim@example.org";
  const std::string text = FormatMessage(message);
  EXPECT_EQ(Header(text, "Subject"), "Ready  Bcc: victim@example.org");
  EXPECT_EQ(Header(text, "Bcc"), "");
}

TEST(EncodeHeaderText, SplitsBetweenCharactersIntoShortWords) {
  const std::string text(40, 'e');
  const std::string accented = text + "éééééééééé";  // 40 + 20 bytes
  const std::string encoded = EncodeHeaderText(accented, "\r\n ");
  std::size_t words = 0;
  std::size_t at = 0;
  while ((at = encoded.find("=?UTF-8?B?", at)) != std::string::npos) {
    const auto end = encoded.find("?=", at + 10);
    EXPECT_LE(end + 2 - at, 75u);
    ++words;
    at = end;
  }
  EXPECT_EQ(words, 2u);
  // The first word holds 40 'e' and 2 'é' (44 bytes): a third 'é' would split at 45.
  EXPECT_EQ(encoded.substr(0, encoded.find("?=") + 2),
            "=?UTF-8?B?ZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZcOpw6k=?=");
  EXPECT_EQ(EncodeHeaderText("plain ASCII", " "), "plain ASCII");
}

TEST(EncodeQuotedPrintable, EncodesUtf8AndBreaksLongLines) {
  EXPECT_EQ(EncodeQuotedPrintable("Hôpital = ok \nnext\t\n"),
            "H=C3=B4pital =3D ok=20\r\nnext=09\r\n");
  const std::string link = "https://pacs.example/api/deliveries/" + std::string(60, 'A');
  const std::string encoded = EncodeQuotedPrintable(link + "\n");
  std::size_t start = 0;
  std::string decoded;
  while (start < encoded.size()) {
    const auto end = encoded.find("\r\n", start);
    std::string line = encoded.substr(start, end - start);
    EXPECT_LE(line.size(), 76u);
    if (line.ends_with("=")) line.pop_back();
    decoded += line;
    start = end + 2;
  }
  EXPECT_EQ(decoded, link);
}

TEST(FormatMessage, UsesQuotedPrintableForNonAsciiOrLongLines) {
  EmailMessage message = Message();
  message.body = "Export from Hôpital Saint-Éloi.\n";
  std::string text = FormatMessage(message);
  EXPECT_EQ(Header(text, "Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(Body(text), "Export from H=C3=B4pital Saint-=C3=89loi.\r\n");
  message.body = std::string(100, 'x') + "\n";
  text = FormatMessage(message);
  EXPECT_EQ(Header(text, "Content-Transfer-Encoding"), "quoted-printable");
}

TEST(NewMessageId, IsUniqueInTheSendersDomain) {
  const Mailbox from{"", "pacsport@hospital.example"};
  const std::string a = NewMessageId(from);
  EXPECT_TRUE(a.starts_with("<"));
  EXPECT_TRUE(a.ends_with("@hospital.example>"));
  EXPECT_NE(a, NewMessageId(from));
}

}  // namespace
}  // namespace pacsport::delivery
