# Backup and restore of whole databases (backup.h): SQLite's online backup API, pg_dump and
# pg_restore. Included at the end of this folder's CMakeLists.txt, so qwl_store exists.
target_sources(qwl_store PRIVATE ${CMAKE_CURRENT_LIST_DIR}/backup.cpp)

qwl_test(store_backup_tests LABEL store
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/backup_test.cpp
  DEPS qwl_store_testing)
