// The ecosystem's tools (tools.h) run over the services: every read and write of the catalog
// runs through the same service functions the REST routes call, with the session's actor.
//
// Places in arguments ("office", "家", "home", "Luna Café", "the airport") are geocoded with
// the user's saved places first (services/maps.h); absent places mean the user's location
// (UserContext::location) or, without one, their default address. Results for the model are
// compact (ids, names, prices as fen and as "¥23.50", distances, open_now) and bounded (at most
// `limit` rows, text fields cut to 200 characters); cards carry the full records for the app.
//
// Irreversible tools: prepare() prices the exact thing (checkout: preview_checkout() of the
// cart lines or the given items with the best coupon and the delivery address; bookings:
// availability and the amount; rides: the quote; cancellations and refunds: the record and the
// amount back) and commit() runs it with the idempotency key and the expected total, so the
// services refuse a changed price instead of charging it.
// Thread-safety: as ToolExecutor; the handles must outlive the object.
#pragma once

#include <memory>

#include "agent/executor.h"
#include "base/clock.h"
#include "services/maps.h"
#include "services/orders.h"
#include "services/rides.h"
#include "services/search.h"
#include "store/db.h"

namespace qwl::agent {

// What the tools run over (the same objects EcosystemServer owns in `serve`).
struct EcosystemHandles {
  Db* db = nullptr;
  const Clock* clock = nullptr;
  services::SearchIndex* search = nullptr;
  services::Maps* maps = nullptr;
  services::Orders* orders = nullptr;
  const services::RouteQuoter* ride_quoter = nullptr;  // driving routes for ride prices
};

class EcosystemTools final : public ToolExecutor {
 public:
  explicit EcosystemTools(EcosystemHandles handles);
  ~EcosystemTools() override;

  std::vector<ToolDef> tools() const override;
  Result<ToolResult> run(const UserContext& user, std::string_view name,
                         const nlohmann::json& arguments) override;
  Result<ActionDraft> prepare(const UserContext& user, std::string_view name,
                              const nlohmann::json& arguments) override;
  Result<ToolResult> commit(const UserContext& user, const ActionDraft& draft,
                            std::string_view idempotency_key) override;

 private:
  EcosystemHandles h_;
};

}  // namespace qwl::agent
