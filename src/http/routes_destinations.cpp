// /api/destinations: each hospital's delivery destinations (delivery/destinations.h).
#include <nlohmann/json.hpp>
#include <stop_token>

#include "http/client_address.h"
#include "http/request_id.h"
#include "http/request_parsing.h"
#include "http/responses.h"
#include "http/routes.h"

namespace pacsport::http {
namespace {

using json = nlohmann::ordered_json;
constexpr const char* kDestinationId = "([0-9]{1,18})";

json DestinationJson(const delivery::DestinationView& view) {
  const DestinationRecord& d = view.record;
  return {{"id", d.id},
          {"name", d.name},
          {"kind", d.kind},
          {"settings", view.settings},
          {"secrets", view.secret_names},
          {"createdBy", d.created_by},
          {"createdAt", d.created_at},
          {"updatedAt", d.updated_at}};
}

RowId DestinationId(const httplib::Request& req) { return std::stoll(req.matches[1]); }

// The calling thread's request, as the attempt its audit record describes.
ExportAttempt CurrentAttempt() {
  return {CurrentClientAddress(), Router::CurrentLabel(), "", "{}", CurrentRequestId()};
}

Principal Caller(const HttpServices& services, const httplib::Request& req) {
  return Authenticate(req, services.jwt, services.index).ValueOrThrow();
}

// The body, parsed as the destinations read it (unordered JSON).
nlohmann::json BodyOf(const httplib::Request& req) {
  return nlohmann::json(JsonObjectBody(req).ValueOrThrow());
}

}  // namespace

void RegisterDestinationRoutes(Router& router, const HttpServices& services) {
  const std::string base = "/api/destinations";
  const std::string one = base + "/" + kDestinationId;
  // The handlers outlive this call: they capture by value what lives on its stack.
  delivery::Destinations& destinations = services.destinations;
  router.Get(base, base,
             [&services, &destinations, base](const httplib::Request& req, httplib::Response& res) {
               json items = json::array();
               for (const auto& view : destinations.List(Caller(services, req)).ValueOrThrow()) {
                 items.push_back(DestinationJson(view));
               }
               SendJson(res, {{"items", items}});
             });
  router.Post(
      base, base,
      [&services, &destinations, base](const httplib::Request& req, httplib::Response& res) {
        const auto view = destinations.Create(Caller(services, req), BodyOf(req), CurrentAttempt())
                              .ValueOrThrow();
        res.set_header("Location", base + "/" + std::to_string(view.record.id));
        SendJson(res, DestinationJson(view), 201);
      },
      Body::kJson);
  router.Get(one, base + "/:id",
             [&services, &destinations, base](const httplib::Request& req, httplib::Response& res) {
               SendJson(
                   res,
                   DestinationJson(
                       destinations.Get(Caller(services, req), DestinationId(req)).ValueOrThrow()));
             });
  router.Put(
      one, base + "/:id",
      [&services, &destinations, base](const httplib::Request& req, httplib::Response& res) {
        SendJson(res, DestinationJson(destinations
                                          .Update(Caller(services, req), DestinationId(req),
                                                  BodyOf(req), CurrentAttempt())
                                          .ValueOrThrow()));
      },
      Body::kJson);
  router.Delete(
      one, base + "/:id",
      [&services, &destinations, base](const httplib::Request& req, httplib::Response& res) {
        destinations.Delete(Caller(services, req), DestinationId(req), CurrentAttempt())
            .ThrowIfError();
        res.status = 204;
      });
  router.Post(
      one + "/test", base + "/:id/test",
      [&services, &destinations, base](const httplib::Request& req, httplib::Response& res) {
        std::stop_source never;
        const Status outcome = destinations
                                   .Test(Caller(services, req), DestinationId(req),
                                         CurrentAttempt(), never.get_token())
                                   .ValueOrThrow();
        if (outcome.ok()) return SendJson(res, {{"ok", true}});
        SendJson(res,
                 {{"ok", false},
                  {"error",
                   {{"code", outcome.error().name()}, {"message", outcome.error().message()}}}});
      });
}

}  // namespace pacsport::http
