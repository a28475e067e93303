# `qwenlayer eval`: agent task suites (src/agent/eval.h, eval/README.md).
target_sources(qwenlayer PRIVATE ${CMAKE_CURRENT_LIST_DIR}/cmd_eval.cpp)

if(QWL_BUILD_TESTS)
  # The shipped suite with the scripted backend: exact, so any failed task is a regression of
  # the agent pipeline (parsing, validation, tools, pending actions, confirmation).
  add_test(NAME agent_eval_suite
           COMMAND qwenlayer eval ${PROJECT_SOURCE_DIR}/eval/suite.jsonl --jobs 2 --quiet)
  set_tests_properties(agent_eval_suite PROPERTIES LABELS "agent" TIMEOUT 600)
endif()
