# The web app's built files at '/' (static_files.h): GET and HEAD over <resources>/web/dist,
# confined to that folder, with the single-page-app fallback and the not-built page.
target_sources(qwl_server PRIVATE ${CMAKE_CURRENT_LIST_DIR}/static_files.cpp)

# Over a temporary folder: types, caching, ETag/304, HEAD, traversal and symlink escapes, and
# over real sockets next to API routes.
qwl_test(static_files_tests LABEL server
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/static_files_test.cpp
  DEPS qwl_server nlohmann_json::nlohmann_json)
