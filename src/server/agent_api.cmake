# The agent's routes of the app API (api_agent.h: chat sessions, messages streamed as SSE, pending
# actions confirmed or cancelled), over the agent layer.
target_sources(qwl_server PRIVATE ${CMAKE_CURRENT_LIST_DIR}/api_agent.cpp)
target_link_libraries(qwl_server PUBLIC qwl_agent)

# Over real HTTP on SQLite and PostgreSQL, with a scripted model and a small executor of its own.
qwl_test(api_agent_tests LABEL server
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/api_agent_test.cpp
  DEPS qwl_server qwl_agent qwl_services_testing nlohmann_json::nlohmann_json)
