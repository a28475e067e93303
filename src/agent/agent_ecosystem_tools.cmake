# The ecosystem's tools over the services (ecosystem_tools.h, docs/agent/tools.md).
target_sources(qwl_agent PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/ecosystem_tools.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ecosystem_tools_util.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ecosystem_tools_catalog.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ecosystem_tools_commerce.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ecosystem_tools_bookings.cpp)
# Every tool on a seeded demo city, on SQLite and PostgreSQL.
qwl_test(agent_ecosystem_tools_tests LABEL agent
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/ecosystem_tools_test.cpp
  DEPS qwl_agent qwl_services_testing nlohmann_json::nlohmann_json)
