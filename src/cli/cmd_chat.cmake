# `qwenlayer chat` and the agent assembly shared by the commands that run the agent.
target_sources(qwenlayer PRIVATE ${CMAKE_CURRENT_LIST_DIR}/cmd_chat.cpp
                                 ${CMAKE_CURRENT_LIST_DIR}/agent_stack.cpp)

if(QWL_BUILD_BENCH)
  # The agent loop's cost per step without the model (docs/PERFORMANCE.md, "Agent").
  add_executable(bench_agent ${PROJECT_SOURCE_DIR}/bench/agent/bench_agent.cpp)
  target_link_libraries(bench_agent PRIVATE qwl_server qwl_agent qwl_services)
endif()

if(QWL_BUILD_TESTS)
  # `qwenlayer chat` end to end: scripted conversations with confirm / cancel / resume, and our
  # own server as the OpenAI-compatible remote.
  add_test(NAME cli_chat
           COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/cli/chat_test.py
                   --qwenlayer $<TARGET_FILE:qwenlayer>)
  set_tests_properties(cli_chat PROPERTIES LABELS "cli;agent" TIMEOUT 600)
endif()
