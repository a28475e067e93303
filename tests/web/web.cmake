# The web app (web/): its unit tests (Vitest) and the end-to-end flows in Debian's Chromium
# (e2e.test.mjs: playwright-core and axe-core pinned in tests/web/package.json; scripts/test.sh
# installs Chromium and runs `npm ci` here). scripts/setup.sh builds web/dist and web's
# node_modules; without them these tests fail and say how to make them.
find_program(QWL_NODE node)
find_program(QWL_NPM npm)
if(NOT QWL_NODE OR NOT QWL_NPM)
  message(STATUS "node or npm not found: the web tests (tests/web) are not registered")
  return()
endif()

add_test(NAME web_unit COMMAND ${QWL_NPM} --prefix ${PROJECT_SOURCE_DIR}/web test --silent)
set_tests_properties(web_unit PROPERTIES LABELS "web" TIMEOUT 300)

add_test(NAME web_e2e
         COMMAND ${QWL_NODE} --test --test-reporter=spec ${CMAKE_CURRENT_LIST_DIR}/e2e.test.mjs
         WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
set_tests_properties(web_e2e PROPERTIES LABELS "web" TIMEOUT 600
                     ENVIRONMENT "QWL_BIN=$<TARGET_FILE:qwenlayer>;QWL_API_WORK=${PROJECT_BINARY_DIR}/tests/api;QWL_WEB_WORK=${PROJECT_BINARY_DIR}/tests/web;QWL_WEB_DIST=${PROJECT_SOURCE_DIR}/web/dist"
                     FIXTURES_REQUIRED qwl_api_model)
