# The app API's bookings routes (api_bookings.h): restaurant tables, hotel rooms and rides over
# the booking services, as REST and JSON (docs/api/bookings.md). Built on the app API's base
# (app_api.cmake).
target_sources(qwl_server PRIVATE ${CMAKE_CURRENT_LIST_DIR}/api_bookings.cpp)

# Over real HTTP on SQLite and PostgreSQL; the restaurants and hotels come from the booking
# services' own test builders (bookings_testing.h).
qwl_test(api_bookings_tests LABEL server
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/api_bookings_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/../services/bookings_testing.cpp
  DEPS qwl_server qwl_services_testing nlohmann_json::nlohmann_json)
