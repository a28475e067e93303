# qwenlayer's MCP server (src/agent/mcp_server.h, src/server/api_mcp.h) driven by the official
# MCP TypeScript SDK client (@modelcontextprotocol/sdk from the root package.json; `npm ci` at
# the repository root installs it): `qwenlayer mcp` over stdio and /mcp of `qwenlayer serve` over
# Streamable HTTP, on a freshly seeded SQLite database. `serve` needs the API tests' tiny model
# (fixture qwl_api_model from tests/api/api.cmake).
find_program(QWL_NODE node)
if(NOT QWL_NODE)
  message(STATUS "node not found: the MCP server tests (tests/mcp) are not registered")
  return()
endif()
add_test(NAME mcp_server_sdk
         COMMAND ${QWL_NODE} --test --test-reporter=spec ${CMAKE_CURRENT_LIST_DIR}/server.test.mjs
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(mcp_server_sdk PROPERTIES LABELS "agent;server" TIMEOUT 300
                     ENVIRONMENT "QWL_BIN=$<TARGET_FILE:qwenlayer>;QWL_API_WORK=${PROJECT_BINARY_DIR}/tests/api;QWL_MCP_WORK=${PROJECT_BINARY_DIR}/tests/mcp"
                     FIXTURES_REQUIRED qwl_api_model)
