# The maps service: geometry, the in-memory road graph and routes, the places index (nearby and
# named places), geocoding and delivery ETAs. See docs/ecosystem/maps.md.
list(APPEND QWL_SERVICES_SOURCES
     ${CMAKE_CURRENT_LIST_DIR}/geo.cpp
     ${CMAKE_CURRENT_LIST_DIR}/road_graph.cpp
     ${CMAKE_CURRENT_LIST_DIR}/maps_index.cpp
     ${CMAKE_CURRENT_LIST_DIR}/maps.cpp
     ${CMAKE_CURRENT_LIST_DIR}/maps_adapters.cpp)

qwl_test(services_maps_tests LABEL services
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/geo_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/road_graph_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/maps_test.cpp
  DEPS qwl_services_testing)

if(QWL_BUILD_BENCH)
  # Latency of nearby, routes, names and delivery ETAs on a 100,000-node, 100,000-place city.
  add_executable(bench_maps ${PROJECT_SOURCE_DIR}/bench/ecosystem/bench_maps.cpp)
  target_link_libraries(bench_maps PRIVATE qwl_services)
endif()
