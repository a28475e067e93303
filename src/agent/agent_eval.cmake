# Agent evaluation (eval.h): task suites run end to end on copies of one seeded database,
# scored for tool choice, arguments, task success and latency (`qwenlayer eval`, eval/).
target_sources(qwl_agent PRIVATE ${CMAKE_CURRENT_LIST_DIR}/eval.cpp)
qwl_test(agent_eval_tests LABEL agent
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/eval_test.cpp
  DEPS qwl_agent nlohmann_json::nlohmann_json)
