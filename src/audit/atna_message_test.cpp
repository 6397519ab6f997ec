#include "audit/atna_message.h"

#include <gtest/gtest.h>

namespace pacsport::audit {
namespace {

AuditRecord SealedExport() {
  AuditRecord record;
  record.id = 7;
  record.started_at = "2026-12-03T10:00:00.000Z";
  record.username = "alice";
  record.client_address = "10.1.2.3";
  record.endpoint = "GET /api/export/study/:studyUID";
  record.scope = "study";
  record.target = "1.2.3";
  record.outcome = AuditOutcome::kSuccess;
  record.chain_seq = 3;
  return record;
}

const AtnaSource kSource{.audit_source_id = "pacs-1", .process_id = "4711"};

size_t Count(const std::string& text, const std::string& what) {
  size_t count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

TEST(AtnaMessage, ExportEventWithParticipantsAndObjects) {
  const std::string xml = ExportAuditMessage(
      SealedExport(), {{"1.2.3", "PID-1"}, {"1.2.4", "PID-1"}, {"1.2.5", "PID-2"}}, kSource);
  EXPECT_TRUE(xml.starts_with(R"(<?xml version="1.0" encoding="UTF-8"?><AuditMessage>)"));
  EXPECT_TRUE(xml.ends_with("</AuditMessage>"));
  EXPECT_NE(xml.find(R"(<EventIdentification EventActionCode="R" )"
                     R"(EventDateTime="2026-12-03T10:00:00.000Z" EventOutcomeIndicator="0">)"
                     R"(<EventID csd-code="110106" codeSystemName="DCM" originalText="Export"/>)"
                     R"(</EventIdentification>)"),
            std::string::npos);
  EXPECT_NE(xml.find(R"(<ActiveParticipant UserID="alice" UserIsRequestor="true" )"
                     R"(NetworkAccessPointID="10.1.2.3" NetworkAccessPointTypeCode="2"/>)"),
            std::string::npos);
  EXPECT_NE(xml.find(R"(<ActiveParticipant UserID="pacsport" AlternativeUserID="4711" )"
                     R"(UserIsRequestor="false"><RoleIDCode csd-code="110153")"),
            std::string::npos);
  EXPECT_NE(xml.find(R"(<ActiveParticipant UserID="GET /api/export/study/:studyUID" )"
                     R"(UserIsRequestor="false" NetworkAccessPointID="10.1.2.3" )"
                     R"(NetworkAccessPointTypeCode="2"><RoleIDCode csd-code="110154" )"
                     R"(codeSystemName="DCM" originalText="Destination Media"/>)"),
            std::string::npos);
  EXPECT_NE(xml.find(R"(<AuditSourceIdentification AuditSourceID="pacs-1">)"), std::string::npos);
  // Each patient once, each study once.
  EXPECT_EQ(Count(xml, R"(ParticipantObjectTypeCode="1" ParticipantObjectTypeCodeRole="1">)"
                       R"(<ParticipantObjectIDTypeCode csd-code="2" codeSystemName="RFC-3881" )"
                       R"(originalText="Patient Number"/>)"),
            2u);
  EXPECT_EQ(Count(xml, R"(ParticipantObjectTypeCode="2" ParticipantObjectTypeCodeRole="3">)"
                       R"(<ParticipantObjectIDTypeCode csd-code="110180" codeSystemName="DCM" )"
                       R"(originalText="Study Instance UID"/>)"),
            3u);
  EXPECT_EQ(Count(xml, R"(ParticipantObjectID="PID-1")"), 1u);
  EXPECT_EQ(Count(xml, R"(ParticipantObjectID="1.2.5")"), 1u);
  EXPECT_EQ(xml.find("EventOutcomeDescription"), std::string::npos);
}

TEST(AtnaMessage, RefusedExportCarriesOutcomeAndItsTarget) {
  AuditRecord record = SealedExport();
  record.outcome = AuditOutcome::kDenied;
  record.detail = "forbidden: not yours";
  const std::string xml = ExportAuditMessage(record, {}, kSource);
  EXPECT_NE(xml.find(R"(EventOutcomeIndicator="4")"), std::string::npos);
  EXPECT_NE(xml.find("<EventOutcomeDescription>denied: forbidden: not yours"
                     "</EventOutcomeDescription>"),
            std::string::npos);
  EXPECT_NE(xml.find(R"(ParticipantObjectID="1.2.3" ParticipantObjectTypeCode="2")"),
            std::string::npos);
  EXPECT_EQ(xml.find(R"(ParticipantObjectTypeCode="1")"), std::string::npos);

  record.scope = "patient";
  record.target = "PID-9";
  const std::string patient = ExportAuditMessage(record, {}, kSource);
  EXPECT_NE(patient.find(R"(ParticipantObjectID="PID-9" ParticipantObjectTypeCode="1")"),
            std::string::npos);
}

TEST(AtnaMessage, OutcomeIndicators) {
  EXPECT_EQ(ExportOutcomeIndicator(AuditOutcome::kSuccess), 0);
  EXPECT_EQ(ExportOutcomeIndicator(AuditOutcome::kDenied), 4);
  EXPECT_EQ(ExportOutcomeIndicator(AuditOutcome::kOverCapacity), 4);
  EXPECT_EQ(ExportOutcomeIndicator(AuditOutcome::kFailed), 8);
  EXPECT_EQ(ExportOutcomeIndicator(AuditOutcome::kAborted), 8);
}

TEST(AtnaMessage, AnonymousCliExportHasNoAccessPoint) {
  AuditRecord record = SealedExport();
  record.username.clear();
  record.client_address.clear();
  record.endpoint.clear();
  const std::string xml = ExportAuditMessage(record, {}, kSource);
  EXPECT_NE(xml.find(R"(<ActiveParticipant UserID="unauthenticated" UserIsRequestor="true"/>)"),
            std::string::npos);
  EXPECT_NE(xml.find(R"(<ActiveParticipant UserID="download" UserIsRequestor="false">)"),
            std::string::npos);
  EXPECT_EQ(xml.find("NetworkAccessPointID"), std::string::npos);
}

TEST(AtnaMessage, HostNameAccessPointIsAMachineName) {
  AuditRecord record = SealedExport();
  record.client_address = "ws-12.example";
  EXPECT_NE(ExportAuditMessage(record, {}, kSource)
                .find(R"(NetworkAccessPointID="ws-12.example" NetworkAccessPointTypeCode="1")"),
            std::string::npos);
  record.client_address = "::1";
  EXPECT_NE(ExportAuditMessage(record, {}, kSource)
                .find(R"(NetworkAccessPointID="::1" NetworkAccessPointTypeCode="2")"),
            std::string::npos);
}

TEST(AtnaMessage, PatientIdIsEscaped) {
  const std::string xml = ExportAuditMessage(SealedExport(), {{"1.2.3", "P<&\"'>1"}}, kSource);
  EXPECT_NE(xml.find(R"(ParticipantObjectID="P&lt;&amp;&quot;&apos;&gt;1")"), std::string::npos);
  EXPECT_EQ(xml.find("P<"), std::string::npos);
}

}  // namespace
}  // namespace pacsport::audit
