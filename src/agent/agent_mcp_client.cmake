# The MCP client (external MCP servers' tools) and the tool registry that combines executors.
# The client's tests start MCP servers written in node (tests/mcp): a hand-written one and one
# built on the official @modelcontextprotocol/sdk from the root package.json (`npm ci` at the
# repository root). Without node, those tests skip; without the SDK they fail and say so.
target_sources(qwl_agent PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/mcp_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tool_registry.cpp)

qwl_test(agent_tool_registry_tests LABEL agent
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tool_registry_test.cpp
  DEPS qwl_agent nlohmann_json::nlohmann_json)

qwl_test(agent_mcp_client_tests LABEL agent
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/mcp_client_test.cpp
  DEPS qwl_agent qwl_runtime nlohmann_json::nlohmann_json)
if(TARGET agent_mcp_client_tests)
  find_program(QWL_NODE node)
  target_compile_definitions(agent_mcp_client_tests PRIVATE
    QWL_MCP_FIXTURES="${PROJECT_SOURCE_DIR}/tests/mcp"
    QWL_NODE_PATH="$<$<BOOL:${QWL_NODE}>:${QWL_NODE}>")
endif()
