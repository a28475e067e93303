# Search (docs/ecosystem/search.md): text segmentation, the in-memory inverted index and the
# search service over products and merchants.
list(APPEND QWL_SERVICES_SOURCES ${CMAKE_CURRENT_LIST_DIR}/search.cpp ${CMAKE_CURRENT_LIST_DIR}/text_segment.cpp
     ${CMAKE_CURRENT_LIST_DIR}/search_index.cpp)

qwl_test(services_search_tests LABEL services
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/text_segment_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/search_index_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/search_log_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/search_test.cpp
  DEPS qwl_services_testing)
