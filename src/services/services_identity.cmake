# Identity (identity.h): users, passwords, web sessions and API keys in the database.
list(APPEND QWL_SERVICES_SOURCES ${CMAKE_CURRENT_LIST_DIR}/identity.cpp)
qwl_test(services_identity_tests LABEL services
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/identity_test.cpp
  DEPS qwl_services_testing)
