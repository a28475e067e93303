# Helpers shared by every layer's CMakeLists.txt.

# qwl_layer(NAME SOURCES ... DEPS ...): a static library qwl_NAME with src/ as include root.
function(qwl_layer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(qwl_${name} STATIC ${ARG_SOURCES})
  target_include_directories(qwl_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(qwl_${name} PUBLIC ${ARG_DEPS})
endfunction()

# qwl_test(NAME LABEL layer SOURCES ... DEPS ...): one GoogleTest binary, its tests labelled.
function(qwl_test name)
  cmake_parse_arguments(ARG "" "LABEL" "SOURCES;DEPS" ${ARGN})
  if(NOT QWL_BUILD_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_compile_definitions(${name} PRIVATE QWL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                             QWL_BINARY_DIR="${PROJECT_BINARY_DIR}")
  # gtest_discover_tests splits its arguments on ';', so a list of labels must be escaped.
  string(REPLACE ";" "\\;" labels "${ARG_LABEL}")
  gtest_discover_tests(${name} PROPERTIES LABELS "${labels}" DISCOVERY_TIMEOUT 60)
endfunction()
