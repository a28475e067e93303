# training/ (model.py, train.py, export.py) end to end: a tiny Qwen3 trained on synthetic data,
# stopped by SIGINT and resumed, exported, converted, and its engine logits checked against the
# torch forward. Needs Debian's python3-torch, which only /usr/bin/python3 has.
add_test(NAME training_model
         COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/training/model_test.py
                 --qwenlayer $<TARGET_FILE:qwenlayer> --work ${PROJECT_BINARY_DIR}/tests/training_model)
set_tests_properties(training_model PROPERTIES LABELS "model" TIMEOUT 600)
