# The tool-call constraint for tool_choice "auto": free text until the model emits <tool_call>,
# then the tool-call grammar until </tool_call> (lazy_tool_constraint.cpp, over the constraint
# sources of constraint.cmake). Included from CMakeLists.txt; owns only these files.
target_sources(qwl_runtime PRIVATE ${CMAKE_CURRENT_LIST_DIR}/lazy_tool_constraint.cpp)

qwl_test(lazy_tool_constraint_tests LABEL "runtime;engine"
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/lazy_tool_constraint_test.cpp
  DEPS qwl_runtime nlohmann_json::nlohmann_json)
