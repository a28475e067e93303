// The tool registry (tool_registry.h): a name -> executor table in front of several executors.
// A call takes a shared lock only to find its executor and runs outside it, so a slow external
// tool never holds up another call or an add().
#include "agent/tool_registry.h"

#include <mutex>
#include <set>

#include "base/log.h"

namespace qwl::agent {

Status ToolRegistry::add(std::unique_ptr<ToolExecutor> executor) {
  QWL_CHECK(executor != nullptr);
  QWL_RETURN_IF_ERROR(add(executor.get()));
  std::unique_lock lock(mu_);
  owned_.push_back(std::move(executor));
  return Status::Ok();
}

Status ToolRegistry::add(ToolExecutor* executor) {
  QWL_CHECK(executor != nullptr);
  std::vector<ToolDef> defs = executor->tools();
  std::unique_lock lock(mu_);
  std::set<std::string_view> names;
  for (const ToolDef& def : defs) {
    if (by_name_.count(std::string(def.name)) != 0) {
      return InvalidArgumentError("tool '{}' is already registered", def.name);
    }
    if (!names.insert(def.name).second) {
      return InvalidArgumentError("tool '{}' is listed twice by one executor", def.name);
    }
  }
  for (const ToolDef& def : defs) {
    by_name_.emplace(std::string(def.name), entries_.size());
    entries_.push_back({.def = def, .executor = executor});
  }
  return Status::Ok();
}

const ToolRegistry::Entry* ToolRegistry::entry(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

std::optional<ToolDef> ToolRegistry::find(std::string_view name) const {
  std::shared_lock lock(mu_);
  const Entry* e = entry(name);
  if (e == nullptr) return std::nullopt;
  return e->def;
}

std::vector<ToolDef> ToolRegistry::tools() const {
  std::shared_lock lock(mu_);
  std::vector<ToolDef> defs;
  defs.reserve(entries_.size());
  for (const Entry& e : entries_) defs.push_back(e.def);
  return defs;
}

std::string ToolRegistry::tools_json(bool annotate) const {
  nlohmann::ordered_json tools = nlohmann::ordered_json::array();
  for (const ToolDef& tool : this->tools()) {
    // Ordered: the grammar writes arguments in the order the schema declares them.
    nlohmann::ordered_json parameters =
        nlohmann::ordered_json::parse(tool.parameters, nullptr, /*allow_exceptions=*/false);
    if (parameters.is_discarded()) {
      QWL_LOG_WARN("tool '{}': its parameters are not JSON; left out", tool.name);
      continue;
    }
    nlohmann::ordered_json function = {
        {"name", tool.name},
        {"description", tool.description},
        {"parameters", std::move(parameters)},
    };
    if (annotate) {
      function["x-side-effect"] = side_effect_name(tool.effect);
      function["x-result"] = tool.result;
    }
    tools.push_back({{"type", "function"}, {"function", std::move(function)}});
  }
  return tools.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Result<ToolResult> ToolRegistry::run(const UserContext& user, std::string_view name,
                                     const nlohmann::json& arguments) {
  ToolExecutor* executor = nullptr;
  {
    std::shared_lock lock(mu_);
    const Entry* e = entry(name);
    if (e == nullptr) return InvalidArgumentError("unknown tool '{}'", name);
    executor = e->executor;
  }
  return executor->run(user, name, arguments);
}

Result<ActionDraft> ToolRegistry::prepare(const UserContext& user, std::string_view name,
                                          const nlohmann::json& arguments) {
  ToolExecutor* executor = nullptr;
  {
    std::shared_lock lock(mu_);
    const Entry* e = entry(name);
    if (e == nullptr) return InvalidArgumentError("unknown tool '{}'", name);
    executor = e->executor;
  }
  return executor->prepare(user, name, arguments);
}

Result<ToolResult> ToolRegistry::commit(const UserContext& user, const ActionDraft& draft,
                                        std::string_view idempotency_key) {
  ToolExecutor* executor = nullptr;
  {
    std::shared_lock lock(mu_);
    const Entry* e = entry(draft.tool);
    if (e == nullptr) return InvalidArgumentError("unknown tool '{}'", draft.tool);
    executor = e->executor;
  }
  return executor->commit(user, draft, idempotency_key);
}

}  // namespace qwl::agent
