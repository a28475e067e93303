# training/bpe.py (the default model's tokenizer trainer) against the engine's tokenizer: a
# small tokenizer trained on a generated corpus must encode held-out text to exactly the ids
# that `qwenlayer tokenize` gives for its tokenizer.json and for a GGUF converted with it.
add_test(NAME training_bpe
         COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/training/bpe_test.py
                 --qwenlayer $<TARGET_FILE:qwenlayer> --work ${PROJECT_BINARY_DIR}/tests/training_bpe)
set_tests_properties(training_bpe PROPERTIES LABELS "tokenizer" TIMEOUT 300)
