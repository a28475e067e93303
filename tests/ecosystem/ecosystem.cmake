# The ecosystem end to end over HTTP (issue 4 "Proof"): concurrency (clients doing random
# operations, then `qwenlayer audit`) and crashes (kill -9 during idempotent checkouts), on
# SQLite and on a throw-away PostgreSQL (pg_fixture). CI runs short versions; the documented
# long runs (docs/ecosystem/proof.md) use the issue's sizes:
#   QWL_ECO_OPS=1000 QWL_ECO_CHECKOUTS=1000 ctest -R ecosystem_ --timeout 3600
find_program(QWL_NODE node)
if(NOT QWL_NODE)
  return()
endif()
add_executable(pg_fixture ${CMAKE_CURRENT_LIST_DIR}/pg_fixture.cpp)
target_link_libraries(pg_fixture PRIVATE qwl_services qwl_store_testing)

set(QWL_ECO_ENV "QWL_BIN=$<TARGET_FILE:qwenlayer>" "QWL_API_WORK=${PROJECT_BINARY_DIR}/tests/api"
                "QWL_ECO_WORK=${PROJECT_BINARY_DIR}/tests/ecosystem"
                "QWL_PG_FIXTURE=$<TARGET_FILE:pg_fixture>")
add_test(NAME ecosystem_concurrency
         COMMAND ${QWL_NODE} --test --test-reporter=spec ${CMAKE_CURRENT_LIST_DIR}/concurrency.test.mjs)
set_tests_properties(ecosystem_concurrency PROPERTIES LABELS "services" TIMEOUT 900
                     ENVIRONMENT "${QWL_ECO_ENV};QWL_ECO_OPS=250"
                     FIXTURES_REQUIRED qwl_api_model)
add_test(NAME ecosystem_crash
         COMMAND ${QWL_NODE} --test --test-reporter=spec ${CMAKE_CURRENT_LIST_DIR}/crash.test.mjs)
set_tests_properties(ecosystem_crash PROPERTIES LABELS "services" TIMEOUT 900
                     ENVIRONMENT "${QWL_ECO_ENV};QWL_ECO_CHECKOUTS=250"
                     FIXTURES_REQUIRED qwl_api_model)
