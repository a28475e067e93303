# SHA-256 (FIPS 180-4), used by API-key hashing in the server layer.
target_sources(qwl_base PRIVATE ${CMAKE_CURRENT_LIST_DIR}/sha256.cpp)
qwl_test(sha256_tests LABEL base
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/sha256_test.cpp
  DEPS qwl_base)
