// /api/schedules: scheduled exports (delivery/schedules.h), admins only.
#include <nlohmann/json.hpp>

#include "delivery/schedules.h"
#include "http/job_json.h"
#include "http/request_parsing.h"
#include "http/responses.h"
#include "http/routes.h"

namespace pacsport::http {
namespace {

using json = nlohmann::ordered_json;

constexpr const char* kScheduleId = "([0-9]{1,18})";

json OrNull(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

json ScheduleJson(const ScheduleRecord& schedule) {
  const json request = json::parse(schedule.request, nullptr, false);
  return {
      {"id", schedule.id},
      {"name", schedule.name},
      {"cron", schedule.cron},
      {"timeZone", schedule.time_zone},
      {"scope", request.value("scope", "")},
      {"ids", request.value("ids", json::array())},
      {"options",
       {{"includeImages", request.value("includeImages", false)},
        {"previews", request.value("previews", true)},
        {"format", request.value("format", "zip")},
        {"compression", request.value("compression", 9)}}},
      {"destination", schedule.destination_id == 0 ? json(nullptr) : json(schedule.destination_id)},
      {"incremental", schedule.incremental},
      {"enabled", schedule.enabled},
      {"owner", schedule.owner},
      {"nextRunAt", OrNull(schedule.next_run_at)},
      {"lastRunAt", OrNull(schedule.last_run_at)},
      {"lastSuccessAt", OrNull(schedule.last_success_at)},
      {"lastJob", OrNull(schedule.last_job)},
      {"createdAt", schedule.created_at},
      {"updatedAt", schedule.updated_at}};
}

Principal Caller(const HttpServices& services, const httplib::Request& req) {
  return Authenticate(req, services.jwt, services.index).ValueOrThrow();
}

RowId IdOf(const httplib::Request& req) { return std::stoll(req.matches[1]); }

}  // namespace

void RegisterScheduleRoutes(Router& router, const HttpServices& services) {
  const std::string base = "/api/schedules";
  const std::string one = base + "/" + kScheduleId;
  router.Get(base, base, [&services, base](const httplib::Request& req, httplib::Response& res) {
    json items = json::array();
    for (const ScheduleRecord& s : services.schedules.List(Caller(services, req)).ValueOrThrow()) {
      items.push_back(ScheduleJson(s));
    }
    SendJson(res, {{"items", items}});
  });
  router.Post(
      base, base,
      [&services, base](const httplib::Request& req, httplib::Response& res) {
        const Principal principal = Caller(services, req);
        const json body = JsonObjectBody(req).ValueOrThrow();
        const ScheduleRecord created = services.schedules.Create(principal, body).ValueOrThrow();
        res.set_header("Location", base + "/" + std::to_string(created.id));
        SendJson(res, ScheduleJson(created), 201);
      },
      Body::kJson);
  router.Get(
      one, base + "/:id", [&services, base](const httplib::Request& req, httplib::Response& res) {
        SendJson(res, ScheduleJson(
                          services.schedules.Get(Caller(services, req), IdOf(req)).ValueOrThrow()));
      });
  router.Put(
      one, base + "/:id",
      [&services, base](const httplib::Request& req, httplib::Response& res) {
        const Principal principal = Caller(services, req);
        const json body = JsonObjectBody(req).ValueOrThrow();
        SendJson(res, ScheduleJson(
                          services.schedules.Update(principal, IdOf(req), body).ValueOrThrow()));
      },
      Body::kJson);
  router.Delete(one, base + "/:id",
                [&services, base](const httplib::Request& req, httplib::Response& res) {
                  services.schedules.Delete(Caller(services, req), IdOf(req)).ThrowIfError();
                  res.status = 204;
                });
  router.Get(one + "/runs", base + "/:id/runs",
             [&services, base](const httplib::Request& req, httplib::Response& res) {
               const Principal principal = Caller(services, req);
               const PageRequest page = PageParams(req).ValueOrThrow();
               const auto runs = services.schedules.Runs(principal, IdOf(req), page).ValueOrThrow();
               json items = json::array();
               for (const JobRecord& job : runs.items) items.push_back(JobJson(job));
               SendJson(res, {{"items", items},
                              {"total", runs.total},
                              {"offset", page.offset},
                              {"limit", page.limit}});
             });
  router.Post(one + "/run", base + "/:id/run",
              [&services, base](const httplib::Request& req, httplib::Response& res) {
                const JobRecord job =
                    services.schedules.RunNow(Caller(services, req), IdOf(req)).ValueOrThrow();
                res.set_header("Location", "/api/export/jobs/" + job.id);
                SendJson(res, JobJson(job), 202);
              });
}

}  // namespace pacsport::http
