# Persisted chat sessions (sessions.h; tables of migration 0007_agent_sessions.sql), tested on
# SQLite and PostgreSQL.
target_sources(qwl_agent PRIVATE ${CMAKE_CURRENT_LIST_DIR}/sessions.cpp)

qwl_test(agent_sessions_tests LABEL agent
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/sessions_test.cpp
  DEPS qwl_agent qwl_services_testing nlohmann_json::nlohmann_json)
