# The app API's commerce routes (api_commerce.h: cart, coupons, checkout, orders, after-sales,
# wallet, the merchants' orders, menus and products) and the per-user event stream
# (api_events.h: GET /api/v1/events over the user_events outbox). Built on the app API's base
# (app_api.cmake).
target_sources(qwl_server PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/api_commerce.cpp
  ${CMAKE_CURRENT_LIST_DIR}/api_events.cpp)

# Over real HTTP on SQLite and PostgreSQL; the café, the shop and the customers come from the
# commerce services' own test world (orders_testing.h).
qwl_test(api_commerce_tests LABEL server
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/api_commerce_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/../services/orders_testing.cpp
  DEPS qwl_server qwl_services_testing nlohmann_json::nlohmann_json)
qwl_test(api_events_tests LABEL server
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/api_events_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/../services/orders_testing.cpp
  DEPS qwl_server qwl_services_testing nlohmann_json::nlohmann_json)
