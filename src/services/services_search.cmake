# Search (docs/ecosystem/search.md): text segmentation, the in-memory inverted index and the
# search service over products and merchants.
list(APPEND QWL_SERVICES_SOURCES ${CMAKE_CURRENT_LIST_DIR}/search.cpp
     ${CMAKE_CURRENT_LIST_DIR}/search_query.cpp ${CMAKE_CURRENT_LIST_DIR}/text_segment.cpp
     ${CMAKE_CURRENT_LIST_DIR}/search_index.cpp)

qwl_test(services_search_tests LABEL services
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/text_segment_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/search_index_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/search_log_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/search_test.cpp
  DEPS qwl_services_testing)

if(QWL_BUILD_BENCH)
  # Start-up and query latency on a seeded city (docs/ecosystem/search.md has the figures).
  add_executable(bench_search ${PROJECT_SOURCE_DIR}/bench/ecosystem/bench_search.cpp)
  target_link_libraries(bench_search PRIVATE qwl_services)
endif()
