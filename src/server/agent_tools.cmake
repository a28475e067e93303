# The agent's tools as REST routes of the app API (/api/v1/tools).
target_sources(qwl_server PRIVATE ${CMAKE_CURRENT_LIST_DIR}/api_tools.cpp)
