// The e-mail destination: a finished archive is announced by an e-mail that names the
// export and carries a single-use link to it (email_message.h); the data is never
// attached. Sent over SMTP by libcurl.
//
// Settings (destination_kinds.h reads them strictly):
//   url       "smtp://host[:port]" (default port 25) or "smtps://host[:port]" (465,
//             TLS from the first byte); required
//   starttls  for smtp://: "required" (default: the server must offer STARTTLS, and
//             its certificate must verify) or "none" (plain text). "none" is allowed
//             only to a loopback host (127.0.0.0/8, ::1, localhost), e.g. a local MTA
//             that relays onwards: the link is a credential to the archive and must
//             not cross a network in clear. smtps:// is always TLS.
//   caFile    PEM file of the certificate authorities to trust instead of the system's
//   from      the sender, "address" or "Name <address>"; required
//   to        the recipients, an array of 1 to 50 such mailboxes; required
//   username  the SMTP AUTH user; then secrets.password is its password
//   subject, body  templates (email_message.h); a body must contain {link}
// Secrets: password (only with a username).
//
// Send issues a link valid for SenderContext::email_link_lifetime, then sends the
// message, retried (SenderContext::retry) on a failed connection or a 4xx reply. A 5xx
// reply is final: kForbidden for an authentication refusal (530, 534, 535, 538),
// kInvalidInput otherwise (an unknown recipient, a refused sender), with the server's
// reply in the message. The receipt is {"kind":"email","recipients":[...],
// "messageId":"<...>","linkExpiresAt":"..."}, and the archive is kept until the link
// expires. Check connects, greets (EHLO), starts TLS and authenticates as Send would,
// then sends NOOP and QUIT: nothing is sent to anyone.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "delivery/archive_sender.h"
#include "delivery/destination_kinds.h"

namespace pacsport::delivery {

inline constexpr std::size_t kMaxEmailRecipients = 50;

// kInvalidInput naming the setting as destination_kinds.h says.
Result<std::unique_ptr<ArchiveSender>> MakeEmailSender(const nlohmann::json& settings,
                                                       const nlohmann::json& secrets,
                                                       const SenderContext& context);

}  // namespace pacsport::delivery
