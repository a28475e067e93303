# Constrained decoding: byte grammars compiled to a pushdown automaton (grammar.cpp), JSON
# Schema and Qwen tool calls written as grammars (json_schema.cpp, constraint_regex.cpp), and
# the LogitsConstraint that masks a vocabulary with them (token_constraint.cpp). See
# docs/CONSTRAINTS.md. Included from CMakeLists.txt; owns only these files.
target_sources(qwl_runtime PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/grammar.cpp
  ${CMAKE_CURRENT_LIST_DIR}/constraint_regex.cpp
  ${CMAKE_CURRENT_LIST_DIR}/json_schema.cpp
  ${CMAKE_CURRENT_LIST_DIR}/constraint_vocab.cpp
  ${CMAKE_CURRENT_LIST_DIR}/token_constraint.cpp)
target_link_libraries(qwl_runtime PRIVATE nlohmann_json::nlohmann_json)

qwl_test(constraint_tests LABEL "runtime;engine"
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/grammar_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/constraint_regex_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/json_schema_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/token_constraint_test.cpp
  DEPS qwl_runtime nlohmann_json::nlohmann_json)
