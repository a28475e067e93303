# `qwenlayer mcp`: the ecosystem's tools as an MCP server on stdio (agent/mcp_server.h).
target_sources(qwenlayer PRIVATE ${CMAKE_CURRENT_LIST_DIR}/cmd_mcp.cpp)
