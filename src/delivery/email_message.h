// EmailMessage: the e-mail that tells recipients an export archive is ready, built as
// an RFC 5322 message (RFC 2045 MIME, one text/plain part in UTF-8).
//
// The message names the export and carries a single-use link to the archive, never
// the archive. Its subject and body come from templates whose placeholders are:
//   {hospital}     the hospital's name
//   {archiveName}  "export_<jobId>.zip" (or .json): the archive's own file name may
//                  carry a patient ID or a Study UID, so the e-mail never does
//   {summary}      what the archive holds, without patient identifiers
//   {size}         the archive's size, e.g. "12.4 MB"
//   {link}         the single-use download link
//   {expiresAt}    when the link expires (ISO 8601 UTC)
//   {jobId}        the export job's id
// No placeholder carries a patient identifier (name, ID, birth date, Study UID).
//
// Header injection: addresses, display names and templates are refused when they
// hold CR, LF or other control characters; values put into the subject have them
// replaced by spaces. Thread-safe: values and free functions only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace pacsport::delivery {

// "jane@example.org" or "Jane Doe <jane@example.org>"; the address is ASCII.
struct Mailbox {
  std::string display_name;  // UTF-8; "" when none
  std::string address;
};

// Parses a mailbox as above. kInvalidInput for a control character, a non-ASCII
// address, or an address that is not local@domain (one '@', no spaces, no quotes,
// angle brackets or commas in it); its message reads after the setting's name, e.g.
// "must be an e-mail address ...".
Result<Mailbox> ParseMailbox(std::string_view text);

// The values of the placeholders.
struct MessageFields {
  std::string hospital;
  std::string archive_name;
  std::string summary;
  std::string size;
  std::string link;
  std::string expires_at;
  std::string job_id;
};

enum class TemplateUse { kSubject, kBody };
// kInvalidInput naming `what` when the template names an unknown placeholder, holds a
// control character (CR and LF allowed in a body), or is a body without {link}.
Status CheckTemplate(std::string_view text, TemplateUse use, std::string_view what);
// The template with every "{name}" replaced by its value. Requires: CheckTemplate passed.
std::string RenderTemplate(std::string_view text, const MessageFields& fields);

inline constexpr std::string_view kDefaultSubject = "Export {jobId} from {hospital} is ready";
inline constexpr std::string_view kDefaultBody =
    "The export {archiveName} ({summary}, {size}) from {hospital} is ready.\n"
    "\n"
    "Download it once from this link before {expiresAt}:\n"
    "{link}\n"
    "\n"
    "The link works once only; if it was already used or has expired, ask for a new export.\n";

// "12.4 MB": bytes in decimal units, as people read them.
std::string ReadableSize(std::uint64_t bytes);

struct EmailMessage {
  Mailbox from;
  std::vector<Mailbox> to;
  std::string subject;  // UTF-8, one line
  std::string body;     // UTF-8, lines ended by "\n" or "\r\n"
  std::chrono::system_clock::time_point date;
  std::string message_id;  // "<unique@domain>"
};

// A new unique Message-ID in the domain of `from`'s address.
std::string NewMessageId(const Mailbox& from);

// The whole message, lines ended by CRLF: Date, From, To, Subject (RFC 2047 encoded
// words when not ASCII), Message-ID, MIME-Version, Content-Type text/plain UTF-8,
// Content-Transfer-Encoding (7bit for short ASCII lines, else quoted-printable),
// Auto-Submitted: auto-generated, then the body.
std::string FormatMessage(const EmailMessage& message);

// The encodings, exposed for tests.
// RFC 2047 "=?UTF-8?B?...?=" words of at most 75 characters, split between UTF-8
// characters and joined by `separator`; `text` unchanged when it is printable ASCII.
std::string EncodeHeaderText(std::string_view text, std::string_view separator);
// RFC 2045 quoted-printable, lines of at most 76 characters ended by CRLF.
std::string EncodeQuotedPrintable(std::string_view text);
// "Thu, 03 Dec 2026 20:50:30 +0000"
std::string Rfc5322Date(std::chrono::system_clock::time_point t);

}  // namespace pacsport::delivery
