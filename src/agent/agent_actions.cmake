# Pending actions (actions.h): irreversible tool calls stored until the user confirms them.
target_sources(qwl_agent PRIVATE ${CMAKE_CURRENT_LIST_DIR}/actions.cpp)
qwl_test(agent_actions_tests LABEL agent
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/actions_test.cpp
  DEPS qwl_agent qwl_services_testing nlohmann_json::nlohmann_json)
