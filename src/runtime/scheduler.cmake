# The batch scheduler (continuous batching over one KV cache) and its prefix cache.
target_sources(qwl_runtime PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/prefix_cache.cpp
  ${CMAKE_CURRENT_LIST_DIR}/scheduler.cpp)

qwl_test(scheduler_tests LABEL "runtime;engine"
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/prefix_cache_test.cpp ${CMAKE_CURRENT_LIST_DIR}/scheduler_test.cpp
  DEPS qwl_runtime qwl_model_testing)
