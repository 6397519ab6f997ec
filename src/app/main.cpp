// pacsport: the command line. See `pacsport --help` and README.md.
#include <CLI/CLI.hpp>

#include "app/commands.h"
#include "core/allocator_tuning.h"

int main(int argc, char** argv) {
  pacsport::TuneAllocator();
  using namespace pacsport;
  CLI::App app{"pacsport: medical-imaging data export server"};
  app.require_subcommand(1);
  int code = 0;

  ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "Serve the REST API");
  serve_cmd->add_option("--data", serve.data, "Data directory")->required();
  serve_cmd->add_option("--config", serve.config, "TOML configuration file")
      ->check(CLI::ExistingFile);
  serve_cmd->add_option("--listen", serve.listen, "HOST:PORT (default 127.0.0.1:8080)");
  serve_cmd->add_flag("--demo", serve.demo, "Generate and keep a JWT secret in the data directory");
  serve_cmd->footer(
      "Configuration: defaults < TOML file (--config) < environment < flags.\n"
      "  server.listen             PACSPORT_LISTEN             127.0.0.1:8080\n"
      "  server.max_connections    PACSPORT_MAX_CONNECTIONS    512\n"
      "  server.token_ttl_seconds  PACSPORT_TOKEN_TTL_SECONDS  28800\n"
      "  server.max_upload_mb      PACSPORT_MAX_UPLOAD_MB      1024\n"
      "  ingest.max_inflated_mb    PACSPORT_MAX_INFLATED_MB    1024\n"
      "  security.jwt_secret       PACSPORT_JWT_SECRET         (required unless --demo)\n"
      "  security.max_token_lifetime_seconds  PACSPORT_MAX_TOKEN_LIFETIME_SECONDS\n"
      "                            (default: server.token_ttl_seconds)\n"
      "  security.tls_certificate  PACSPORT_TLS_CERTIFICATE    PEM file; HTTPS with the key\n"
      "  security.tls_private_key  PACSPORT_TLS_PRIVATE_KEY    PEM file\n"
      "  export.compression_level  PACSPORT_COMPRESSION_LEVEL  9\n"
      "  logging.level             PACSPORT_LOG_LEVEL          info");
  serve_cmd->callback([&] { code = RunServe(serve); });

  std::filesystem::path data;
  std::string name, hospital, role, username;
  auto* hospital_cmd = app.add_subcommand("hospital", "Manage hospitals");
  hospital_cmd->require_subcommand(1);
  auto* hospital_add = hospital_cmd->add_subcommand("add", "Add a hospital");
  hospital_add->add_option("--data", data, "Data directory")->required();
  hospital_add->add_option("NAME", name, "Hospital name")->required();
  hospital_add->callback([&] { code = RunHospitalAdd(data, name); });

  auto* user_cmd = app.add_subcommand("user", "Manage users");
  user_cmd->require_subcommand(1);
  auto* user_add = user_cmd->add_subcommand("add", "Add a user; the password is read from stdin");
  user_add->add_option("--data", data, "Data directory")->required();
  user_add->add_option("--hospital", hospital, "Hospital name")->required();
  user_add->add_option("--role", role, "user, admin, ai or researcher")->required();
  user_add->add_option("USERNAME", username, "Login name")->required();
  user_add->callback([&] { code = RunUserAdd(data, hospital, role, username); });

  std::optional<std::filesystem::path> config;
  std::int64_t ttl = 3600;
  auto* token_cmd = app.add_subcommand("token", "Print a JWT for a user");
  token_cmd->add_option("--data", data, "Data directory")->required();
  token_cmd->add_option("--config", config, "TOML configuration file")->check(CLI::ExistingFile);
  token_cmd->add_option("--user", username, "Login name")->required();
  token_cmd->add_option("--ttl", ttl,
                        "Lifetime in seconds (default 3600; at most the maximum token lifetime)");
  token_cmd->callback([&] { code = RunToken(data, config, username, ttl); });

  std::vector<std::string> paths;
  auto* import_cmd = app.add_subcommand("import", "Import DICOM files and folders (recursively)");
  import_cmd->add_option("--data", data, "Data directory")->required();
  import_cmd->add_option("--hospital", hospital, "Hospital name")->required();
  import_cmd->add_option("PATH", paths, "Files or folders")->required();
  std::optional<std::filesystem::path> import_config;
  import_cmd->add_option("--config", import_config, "TOML configuration file (its [ingest] limits)")
      ->check(CLI::ExistingFile);
  import_cmd->callback([&] { code = RunImport(data, import_config, hospital, paths); });

  ExportCommandOptions exported;
  std::string scope, include_images = "true", format = "zip", deidentify_profile, project;
  std::vector<std::string> deidentify_options;
  bool include_burned_in = false;
  auto* export_cmd =
      app.add_subcommand("export", "Export a study, a series or a patient, as the API does");
  export_cmd->add_option("SCOPE", scope, "study, series or patient")
      ->required()
      ->check(CLI::IsMember({"study", "series", "patient"}));
  export_cmd
      ->add_option("ID", exported.request.target,
                   "Study Instance UID, Series Instance UID or Patient ID")
      ->required();
  export_cmd->add_option("--data", exported.data, "Data directory")->required();
  export_cmd->add_option("--hospital", exported.hospital, "Hospital name")->required();
  export_cmd->add_option("--config", exported.config, "TOML configuration file (its [[sources]])")
      ->check(CLI::ExistingFile);
  export_cmd->add_option("-o,--output", exported.output, "Output file (default stdout)");
  export_cmd->add_option("--include-images", include_images, "true or false")
      ->check(CLI::IsMember({"true", "false"}));
  export_cmd->add_option("--format", format, "zip, json or media (a patient's disc)")
      ->check(CLI::IsMember({"zip", "json", "media"}));
  export_cmd
      ->add_option("--compression", exported.request.options.compression_level, "Deflate level 0-9")
      ->check(CLI::Range(0, 9));
  auto* deidentify_flag = export_cmd->add_option(
      "--deidentify", deidentify_profile,
      "De-identify with this profile (basic: PS3.15 Annex E), pseudonyms of --project");
  export_cmd->add_option("--project", project, "Research project of the pseudonyms")
      ->needs(deidentify_flag);
  export_cmd
      ->add_option("--deidentify-option", deidentify_options,
                   "retain-longitudinal-modified-dates, retain-patient-characteristics, "
                   "retain-device-identity, clean-descriptors or retain-uids (repeatable)")
      ->needs(deidentify_flag);
  export_cmd
      ->add_flag("--include-burned-in", include_burned_in,
                 "Keep previews of images that may show burned-in text")
      ->needs(deidentify_flag);
  export_cmd->callback([&] {
    exported.request.scope = scope == "study"    ? ExportScope::kStudy
                             : scope == "series" ? ExportScope::kSeries
                                                 : ExportScope::kPatient;
    exported.request.options.format = *FormatNamed(format);
    if (format == "media" && include_images == "false") {
      throw CLI::ValidationError("--include-images", "a disc (--format media) holds the images");
    }
    exported.request.options.include_images =
        include_images == "true" && format != "json" ? IncludeImages::kYes : IncludeImages::kNo;
    if (*deidentify_flag) {
      auto request = deid::MakeRequest(
          deidentify_profile, project, deidentify_options,
          include_burned_in ? deid::IncludeBurnedIn::kYes : deid::IncludeBurnedIn::kNo);
      if (!request.ok()) throw CLI::ValidationError("--deidentify", request.error().message());
      exported.request.options.deidentify = std::move(*request);
    }
    code = RunExport(exported);
  });

  auto* sync_cmd = app.add_subcommand(
      "sync", "Index every configured Orthanc source once (a full reconciliation)");
  std::optional<std::filesystem::path> sync_config;
  sync_cmd->add_option("--data", data, "Data directory")->required();
  sync_cmd->add_option("--config", sync_config, "TOML configuration file with [[sources]]")
      ->check(CLI::ExistingFile);
  sync_cmd->callback([&] { code = RunSync(data, sync_config); });

  std::filesystem::path migrate_from;
  std::string migrate_to;
  auto* migrate_cmd = app.add_subcommand(
      "migrate-index",
      "Copy a data directory's embedded index into an empty PostgreSQL index, then verify it");
  migrate_cmd->add_option("--from", migrate_from, "Data directory whose index.sqlite is copied")
      ->required();
  migrate_cmd->add_option("--to", migrate_to, "postgresql://user@host:port/dbname (empty database)")
      ->required();
  migrate_cmd->callback([&] { code = RunMigrateIndex(migrate_from, migrate_to); });

  AuditCommandOptions audit;
  auto* audit_cmd = app.add_subcommand("audit", "Print the export audit trail, newest first");
  audit_cmd->add_option("--data", audit.data, "Data directory");
  audit_cmd->add_option("--hospital", audit.hospital, "Only this hospital");
  audit_cmd->add_option("--user", audit.user, "Only this user");
  audit_cmd->add_option("--outcome", audit.outcome,
                        "in_progress, success, denied, failed, aborted or over_capacity");
  audit_cmd->add_option("--limit", audit.limit, "At most this many records")
      ->check(CLI::Range(1, 100000));

  AuditVerifyOptions verify_chain;
  auto* verify_chain_cmd = audit_cmd->add_subcommand(
      "verify", "Check the audit trail's hash chain and signatures; exit 1 at the first break");
  verify_chain_cmd->add_option("--data", verify_chain.data, "Data directory")->required();
  verify_chain_cmd
      ->add_option("--key", verify_chain.key,
                   "Public key to check signatures with (default: the data directory's own)")
      ->check(CLI::ExistingFile);
  verify_chain_cmd->callback([&] { code = RunAuditVerify(verify_chain); });
  audit_cmd->callback([&] {
    if (audit_cmd->got_subcommand(verify_chain_cmd)) return;
    if (audit.data.empty()) {
      code = Fail("audit: --data is required");
      return;
    }
    code = RunAudit(audit);
  });

  PreviewOptions preview;
  auto* preview_cmd =
      app.add_subcommand("preview", "Render every frame of DICOM files to PNG, timed");
  preview_cmd->add_option("FILE", preview.files, "DICOM files")->required();
  preview_cmd->add_option("--out", preview.out, "Write DIR/<file stem>_frame_K.png");
  preview_cmd->add_option("--size", preview.size, "Longest side in pixels (default: stored size)")
      ->check(CLI::Range(1, 65535));
  preview_cmd->add_option("--workers", preview.workers, "Worker processes (default: one per core)")
      ->check(CLI::Range(1, 256));
  preview_cmd->callback([&] { code = RunPreview(preview); });

  VerifyOptions verify;
  auto* verify_cmd = app.add_subcommand(
      "verify", "Check an export archive's checksums and signed receipt, offline");
  verify_cmd->add_option("ARCHIVE", verify.archive, "The exported ZIP archive")->required();
  verify_cmd->add_option("--key", verify.key,
                         "The hospital's public key: its base64, or the JSON of "
                         "GET /api/audit/public-key");
  verify_cmd->footer(
      "Exit code 0 when verified; 1 at the first problem; 2 for a usage error or a file\n"
      "that cannot be read.");
  verify_cmd->callback([&] { code = RunVerify(verify); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int exit = app.exit(e);
    // verify's usage errors exit 2, as its other unusable input.
    return exit != 0 && verify_cmd->parsed() ? 2 : exit;
  }
  return code;
}
