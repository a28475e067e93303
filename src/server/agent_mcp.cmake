# MCP over Streamable HTTP at /mcp (api_mcp.h): the agent layer's MCP server behind the app API's
# authentication, with its sessions in the database.
target_sources(qwl_server PRIVATE ${CMAKE_CURRENT_LIST_DIR}/api_mcp.cpp)
target_link_libraries(qwl_server PUBLIC qwl_agent qwl_services)

qwl_test(api_mcp_tests LABEL server
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/api_mcp_test.cpp
  DEPS qwl_server qwl_agent qwl_services_testing nlohmann_json::nlohmann_json)
