# The app API's catalog and maps routes: search, products, merchants and menus (api_catalog.h)
# and nearby places, geocoding, routes and delivery ETAs (api_maps.h), as REST and JSON
# (docs/api/catalog.md, docs/api/maps.md). Built on the app API's base (app_api.cmake).
target_sources(qwl_server PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/api_catalog.cpp
  ${CMAKE_CURRENT_LIST_DIR}/api_maps.cpp)

# Over real HTTP on SQLite and PostgreSQL databases seeded with the demo city (services/seed.h).
qwl_test(api_catalog_tests LABEL server
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/api_catalog_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/api_maps_test.cpp
  DEPS qwl_server qwl_services_testing nlohmann_json::nlohmann_json)
