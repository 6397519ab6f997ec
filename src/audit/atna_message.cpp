#include "audit/atna_message.h"

#include <cstdint>
#include <optional>
#include <set>

#include "core/xml_text.h"

namespace pacsport::audit {
namespace {

// The XML is written by hand: the message is a fixed, flat structure of a dozen
// element kinds, and escaping is the only subtle part (core/xml_text.h). No XML library
// is linked into pacsport, and one would add a dependency for this single writer.

// Appends ` name="value"`, value escaped.
void Attribute(std::string& xml, std::string_view name, std::string_view value) {
  xml += ' ';
  xml += name;
  xml += "=\"";
  xml += XmlEscape(value);
  xml += '"';
}

// A coded value of the schema (csd-code, codeSystemName, originalText) as an element.
void Code(std::string& xml, std::string_view element, std::string_view code,
          std::string_view system, std::string_view meaning) {
  xml += '<';
  xml += element;
  Attribute(xml, "csd-code", code);
  Attribute(xml, "codeSystemName", system);
  Attribute(xml, "originalText", meaning);
  xml += "/>";
}

// "2" when `address` is an IP address (IPv4 dotted or IPv6 with colons), "1" (a
// machine name) otherwise.
std::string_view AccessPointType(std::string_view address) {
  const bool ip = address.find(':') != std::string_view::npos ||
                  address.find_first_not_of("0123456789.") == std::string_view::npos;
  return ip ? "2" : "1";
}

void ActiveParticipant(std::string& xml, std::string_view user_id,
                       std::string_view alternative_user_id, bool requestor,
                       std::string_view address, std::optional<std::string_view> role_code,
                       std::string_view role_meaning) {
  xml += "<ActiveParticipant";
  Attribute(xml, "UserID", user_id);
  if (!alternative_user_id.empty()) Attribute(xml, "AlternativeUserID", alternative_user_id);
  Attribute(xml, "UserIsRequestor", requestor ? "true" : "false");
  if (!address.empty()) {
    Attribute(xml, "NetworkAccessPointID", address);
    Attribute(xml, "NetworkAccessPointTypeCode", AccessPointType(address));
  }
  if (role_code) {
    xml += '>';
    Code(xml, "RoleIDCode", *role_code, "DCM", role_meaning);
    xml += "</ActiveParticipant>";
  } else {
    xml += "/>";
  }
}

// A participant object: its ID, type and role codes (PS3.15 A.5.2), and what kind of
// ID it is.
struct ObjectKind {
  std::string_view type_code;
  std::string_view role_code;
  std::string_view id_code;
  std::string_view id_system;
  std::string_view id_meaning;
};
constexpr ObjectKind kPatient{"1", "1", "2", "RFC-3881", "Patient Number"};
constexpr ObjectKind kStudy{"2", "3", "110180", "DCM", "Study Instance UID"};

void ParticipantObject(std::string& xml, const ObjectKind& kind, std::string_view id) {
  xml += "<ParticipantObjectIdentification";
  Attribute(xml, "ParticipantObjectID", id);
  Attribute(xml, "ParticipantObjectTypeCode", kind.type_code);
  Attribute(xml, "ParticipantObjectTypeCodeRole", kind.role_code);
  xml += '>';
  Code(xml, "ParticipantObjectIDTypeCode", kind.id_code, kind.id_system, kind.id_meaning);
  xml += "</ParticipantObjectIdentification>";
}

}  // namespace

int ExportOutcomeIndicator(AuditOutcome outcome) {
  switch (outcome) {
    case AuditOutcome::kSuccess:
      return 0;
    case AuditOutcome::kDenied:
    case AuditOutcome::kOverCapacity:
      return 4;
    case AuditOutcome::kFailed:
    case AuditOutcome::kAborted:
    case AuditOutcome::kInProgress:  // never sealed; an export that did not end is no success
      return 8;
  }
  return 8;
}

std::string ExportAuditMessage(const AuditRecord& record, const std::vector<AuditStudy>& studies,
                               const AtnaSource& source) {
  std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?><AuditMessage>)";

  xml += "<EventIdentification";
  Attribute(xml, "EventActionCode", "R");
  Attribute(xml, "EventDateTime", record.started_at);
  Attribute(xml, "EventOutcomeIndicator", std::to_string(ExportOutcomeIndicator(record.outcome)));
  xml += '>';
  Code(xml, "EventID", "110106", "DCM", "Export");
  if (record.outcome != AuditOutcome::kSuccess) {
    xml += "<EventOutcomeDescription>";
    xml += XmlEscape(std::string(AuditOutcomeName(record.outcome)) +
                     (record.detail.empty() ? "" : ": " + record.detail));
    xml += "</EventOutcomeDescription>";
  }
  xml += "</EventIdentification>";

  ActiveParticipant(xml, record.username.empty() ? "unauthenticated" : record.username, "", true,
                    record.client_address, std::nullopt, "");
  ActiveParticipant(xml, "pacsport", source.process_id, false, "", "110153", "Source Role ID");
  ActiveParticipant(xml, record.endpoint.empty() ? "download" : record.endpoint, "", false,
                    record.client_address, "110154", "Destination Media");

  xml += "<AuditSourceIdentification";
  Attribute(xml, "AuditSourceID", source.audit_source_id);
  xml += '>';
  Code(xml, "AuditSourceTypeCode", "4", "DCM", "Application Server");
  xml += "</AuditSourceIdentification>";

  std::set<std::string_view> patients;
  for (const AuditStudy& study : studies) {
    if (!study.patient_id.empty()) patients.insert(study.patient_id);
  }
  if (studies.empty() && record.scope == "patient" && !record.target.empty()) {
    patients.insert(record.target);
  }
  for (std::string_view patient : patients) ParticipantObject(xml, kPatient, patient);
  for (const AuditStudy& study : studies) ParticipantObject(xml, kStudy, study.study_uid);
  if (studies.empty() && record.scope == "study" && !record.target.empty()) {
    ParticipantObject(xml, kStudy, record.target);
  }

  xml += "</AuditMessage>";
  return xml;
}

}  // namespace pacsport::audit
