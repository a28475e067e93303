// The tools' REST routes (see api_tools.h).
#include "server/api_tools.h"

#include <map>
#include <memory>
#include <string>

#include "agent/schema_validate.h"

namespace qwl::app {
namespace {

struct ToolEntry {
  agent::ToolDef def;
  nlohmann::json schema;
};

}  // namespace

Status add_tool_routes(AppApi& api, agent::ToolExecutor& tools, agent::ActionStore& actions) {
  // The tool list is fixed once the executor is made: parse the schemas once.
  auto entries = std::make_shared<std::map<std::string, ToolEntry, std::less<>>>();
  auto listing = std::make_shared<nlohmann::json>(nlohmann::json::array());
  for (const agent::ToolDef& def : tools.tools()) {
    nlohmann::json schema = nlohmann::json::parse(def.parameters, nullptr, false);
    if (schema.is_discarded()) {
      return InternalError("tool {}: its parameters are not JSON", def.name);
    }
    listing->push_back({{"name", def.name},
                        {"description", def.description},
                        {"parameters", schema},
                        {"side_effect", agent::side_effect_name(def.effect)},
                        {"result", def.result}});
    entries->emplace(std::string(def.name), ToolEntry{def, std::move(schema)});
  }

  QWL_RETURN_IF_ERROR(
      api.add_route(http::Method::kGet, "/api/v1/tools",
                    [listing](http::Request&, const Caller&) -> Result<http::Response> {
                      return json_response({{"object", "list"}, {"data", *listing}});
                    }));

  return api.add_route(
      http::Method::kPost, "/api/v1/tools/{name}",
      [entries, &tools, &actions](http::Request& req,
                                  const Caller& caller) -> Result<http::Response> {
        if (caller.actor.user_id == 0) {
          return PermissionDeniedError(
              "tools act for a user: call them with a user's API key or session, not the "
              "operator key");
        }
        const std::string_view name = req.param("name");
        const auto it = entries->find(name);
        if (it == entries->end()) return NotFoundError("tool {} not found", name);
        QWL_ASSIGN_OR_RETURN(nlohmann::json body, parse_json_body(req));
        nlohmann::json arguments = nlohmann::json::object();
        if (const auto a = body.find("arguments"); a != body.end()) {
          if (!a->is_object()) return InvalidArgumentError("arguments: expected an object");
          arguments = *a;
        }
        if (Status s = agent::validate_arguments(it->second.schema, arguments); !s.ok()) {
          return InvalidArgumentError("arguments: {}", s.message());
        }
        agent::UserContext user;
        user.actor = caller.actor;
        if (it->second.def.effect == agent::SideEffect::kIrreversible) {
          QWL_ASSIGN_OR_RETURN(agent::ActionDraft draft, tools.prepare(user, name, arguments));
          QWL_ASSIGN_OR_RETURN(agent::PendingAction action,
                               actions.propose(user, /*session_id=*/"", std::move(draft)));
          return json_response(action.to_json(), 202);
        }
        QWL_ASSIGN_OR_RETURN(agent::ToolResult result, tools.run(user, name, arguments));
        nlohmann::json cards = nlohmann::json::array();
        for (const agent::Card& c : result.cards) cards.push_back(c.to_json());
        return json_response({{"object", "tool_result"},
                              {"tool", std::string(name)},
                              {"result", result.result},
                              {"cards", cards}});
      });
}

}  // namespace qwl::app
