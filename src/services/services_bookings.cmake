# The booking services: restaurant tables, hotel rooms and rides (docs/ecosystem/bookings.md).
list(APPEND QWL_SERVICES_SOURCES
     ${CMAKE_CURRENT_LIST_DIR}/bookings.cpp
     ${CMAKE_CURRENT_LIST_DIR}/bookings_internal.cpp
     ${CMAKE_CURRENT_LIST_DIR}/table_bookings.cpp
     ${CMAKE_CURRENT_LIST_DIR}/hotel_bookings.cpp
     ${CMAKE_CURRENT_LIST_DIR}/rides.cpp)
# nlohmann-json only checks in the tests that event payloads are JSON.
qwl_test(services_bookings_tests LABEL services
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/bookings_testing.cpp
          ${CMAKE_CURRENT_LIST_DIR}/bookings_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/table_bookings_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/hotel_bookings_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/rides_test.cpp
  DEPS qwl_services_testing nlohmann_json::nlohmann_json)
