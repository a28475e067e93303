# The app API (/api/v1/...): its router layer and identity routes (app_api.h), and the key ring
# that lets the OpenAI API accept the users' database keys (app_api_keyring.h). Built on the
# services layer (identity, idempotency).
target_sources(qwl_server PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/app_api.cpp
  ${CMAKE_CURRENT_LIST_DIR}/app_api_keyring.cpp)
target_link_libraries(qwl_server PUBLIC qwl_services)

qwl_test(app_api_tests LABEL server
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/app_api_test.cpp
  DEPS qwl_server qwl_services_testing nlohmann_json::nlohmann_json)
