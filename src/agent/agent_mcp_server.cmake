# The MCP server's protocol core (mcp_server.h): the ecosystem's tools for MCP clients, driven
# by `qwenlayer mcp` (stdio) and /mcp in `qwenlayer serve` (server/api_mcp.h).
target_sources(qwl_agent PRIVATE ${CMAKE_CURRENT_LIST_DIR}/mcp_server.cpp)
qwl_test(agent_mcp_server_tests LABEL agent
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/mcp_server_test.cpp
  DEPS qwl_agent qwl_services_testing nlohmann_json::nlohmann_json)
