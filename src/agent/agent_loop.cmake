# The model backends (scripted, OpenAI-compatible over libcurl) and the agent loop. The loop
# checks arguments with schema_validate.cpp (the MCP server's part lists it too; CMake keeps one).
target_sources(qwl_agent PRIVATE ${CMAKE_CURRENT_LIST_DIR}/backend.cpp
                                 ${CMAKE_CURRENT_LIST_DIR}/agent.cpp
                                 ${CMAKE_CURRENT_LIST_DIR}/schema_validate.cpp)
qwl_test(agent_backend_tests LABEL agent
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/backend_test.cpp
  DEPS qwl_agent nlohmann_json::nlohmann_json)
qwl_test(agent_loop_tests LABEL agent
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/agent_test.cpp
  DEPS qwl_agent qwl_services_testing nlohmann_json::nlohmann_json)
# Prompt injection over the seeded city and the real tools.
qwl_test(agent_injection_tests LABEL agent
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/agent_injection_test.cpp
  DEPS qwl_agent qwl_services_testing nlohmann_json::nlohmann_json)
