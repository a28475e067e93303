# The model backends (scripted, OpenAI-compatible over libcurl) and the agent loop.
target_sources(qwl_agent PRIVATE ${CMAKE_CURRENT_LIST_DIR}/backend.cpp)
qwl_test(agent_backend_tests LABEL agent
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/backend_test.cpp
  DEPS qwl_agent nlohmann_json::nlohmann_json)
