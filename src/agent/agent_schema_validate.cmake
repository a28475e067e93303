# Validation of tool-call arguments against the tools' JSON Schemas (schema_validate.h), used by
# the MCP server and the agent loop.
target_sources(qwl_agent PRIVATE ${CMAKE_CURRENT_LIST_DIR}/schema_validate.cpp)
qwl_test(agent_schema_validate_tests LABEL agent
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/schema_validate_test.cpp
  DEPS qwl_agent nlohmann_json::nlohmann_json)
