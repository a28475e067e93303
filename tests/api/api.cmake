# The OpenAI-compatible server end to end: `qwenlayer serve` driven by the official `openai` npm
# client (tests/api/package.json pins it; scripts/test.sh runs `npm ci` there), raw sockets for
# malformed traffic. Each file starts its own server on a free port with a tiny random-weight
# Qwen3 model (Qwen3's real tokenizer and chat template) made at test time into the build tree.
#
# The tests of features still being built (constrained decoding, API keys, /metrics) are their
# own ctest entries; their failures read "[WAITS ON FEATURE: ...]".
find_program(QWL_NODE node)
if(NOT QWL_NODE)
  message(STATUS "node not found: the API tests (tests/api) are not registered")
  return()
endif()

set(QWL_API_DIR ${CMAKE_CURRENT_LIST_DIR})
set(QWL_API_WORK ${PROJECT_BINARY_DIR}/tests/api)
# Servers keep their database in the build tree, never in the source folder they run from.
set(QWL_API_ENV "QWL_BIN=$<TARGET_FILE:qwenlayer>" "QWL_API_WORK=${QWL_API_WORK}"
                "QWL_DB=${QWL_API_WORK}/qwenlayer.db")

add_test(NAME api_setup COMMAND ${QWL_NODE} ${QWL_API_DIR}/setup.mjs)
set_tests_properties(api_setup PROPERTIES LABELS "server" TIMEOUT 120
                     ENVIRONMENT "${QWL_API_ENV}" FIXTURES_SETUP qwl_api_model)

# qwl_api_test(NAME FILE TIMEOUT): one node:test file.
function(qwl_api_test name file timeout)
  add_test(NAME ${name}
           COMMAND ${QWL_NODE} --test --test-reporter=spec ${QWL_API_DIR}/${file}
           WORKING_DIRECTORY ${QWL_API_DIR})
  set_tests_properties(${name} PROPERTIES LABELS "server" TIMEOUT ${timeout}
                       ENVIRONMENT "${QWL_API_ENV}" FIXTURES_REQUIRED qwl_api_model)
endfunction()

qwl_api_test(api_chat chat.test.mjs 120)
qwl_api_test(api_completions completions.test.mjs 90)
qwl_api_test(api_constrained constrained.test.mjs 150)
qwl_api_test(api_errors errors.test.mjs 90)
qwl_api_test(api_auth auth.test.mjs 60)
qwl_api_test(api_metrics metrics.test.mjs 60)
qwl_api_test(api_robustness robustness.test.mjs 120)
qwl_api_test(api_prefix_cache prefix_cache.test.mjs 60)

# The load generator (bench/load/loadgen.mjs) end to end on the test model: a few requests at
# two concurrency levels and the prefix-cache mode; it exits non-zero on any request error or
# an unclean server exit.
add_test(NAME api_loadgen_smoke
         COMMAND ${QWL_NODE} ${PROJECT_SOURCE_DIR}/bench/load/loadgen.mjs
                 --qwenlayer $<TARGET_FILE:qwenlayer> --model ${QWL_API_WORK}/qwen3-tiny-q8_0.gguf
                 --serve-args "-t 1" -c 1,4 -n 8 --max-tokens 16 --ignore-eos
                 --json ${QWL_API_WORK}/loadgen_smoke.json)
set_tests_properties(api_loadgen_smoke PROPERTIES ENVIRONMENT "${QWL_API_ENV}" LABELS "server" TIMEOUT 60
                     FIXTURES_REQUIRED qwl_api_model)
add_test(NAME api_loadgen_prefix_smoke
         COMMAND ${QWL_NODE} ${PROJECT_SOURCE_DIR}/bench/load/loadgen.mjs
                 --qwenlayer $<TARGET_FILE:qwenlayer> --model ${QWL_API_WORK}/qwen3-tiny-q8_0.gguf
                 --serve-args "-t 1" --mode prefix --prefix-tokens 600 --trials 2
                 --json ${QWL_API_WORK}/loadgen_prefix_smoke.json)
set_tests_properties(api_loadgen_prefix_smoke PROPERTIES ENVIRONMENT "${QWL_API_ENV}" LABELS "server" TIMEOUT 60
                     FIXTURES_REQUIRED qwl_api_model)

# Soak (bench/load/loadgen.mjs --mode soak) on the test model: 20 s of mixed traffic by 4
# clients (plain and streamed chat and completions, tool_choice "required", json_schema output,
# aborted streams, bad requests), every answer checked; it exits non-zero on any unexpected
# answer, RSS growth past the allowance (docs/SERVING.md, "Soak"), a server not idle on /metrics
# at the end, or an unclean server exit.
add_test(NAME api_soak_short
         COMMAND ${QWL_NODE} ${PROJECT_SOURCE_DIR}/bench/load/loadgen.mjs
                 --qwenlayer $<TARGET_FILE:qwenlayer> --model ${QWL_API_WORK}/qwen3-tiny-q8_0.gguf
                 --serve-args "-t 1" --mode soak --duration 20 -c 4 --seed 1
                 --json ${QWL_API_WORK}/soak_short.json)
set_tests_properties(api_soak_short PROPERTIES ENVIRONMENT "${QWL_API_ENV}" LABELS "server" TIMEOUT 120
                     FIXTURES_REQUIRED qwl_api_model)
