# The OpenAI API's protocol layer (request parsing and validation, response and stream
# formatting), Prometheus metrics and API keys: pure code over plain values, testable without a
# model. `qwenlayer serve` wires them to the HTTP server and the batch scheduler.
target_sources(qwl_server PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/openai_request.cpp
  ${CMAKE_CURRENT_LIST_DIR}/openai_response.cpp
  ${CMAKE_CURRENT_LIST_DIR}/metrics.cpp
  ${CMAKE_CURRENT_LIST_DIR}/api_keys.cpp)
# The request types carry chat messages (qwl_chat) and map to the sampler's parameters
# (qwl_runtime).
target_link_libraries(qwl_server PUBLIC qwl_chat qwl_runtime nlohmann_json::nlohmann_json)

qwl_test(openai_tests LABEL server
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/openai_request_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/openai_response_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/metrics_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/api_keys_test.cpp
  DEPS qwl_server)
