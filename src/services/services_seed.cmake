# The seed: a deterministic demo or large city (seed.h, docs/ecosystem/seed.md).
list(APPEND QWL_SERVICES_SOURCES
     ${CMAKE_CURRENT_LIST_DIR}/seed.cpp
     ${CMAKE_CURRENT_LIST_DIR}/seed_writer.cpp
     ${CMAKE_CURRENT_LIST_DIR}/seed_names.cpp
     ${CMAKE_CURRENT_LIST_DIR}/seed_city.cpp
     ${CMAKE_CURRENT_LIST_DIR}/seed_people.cpp
     ${CMAKE_CURRENT_LIST_DIR}/seed_commerce.cpp)
qwl_test(services_seed_tests LABEL services
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/seed_test.cpp
  DEPS qwl_services_testing)
