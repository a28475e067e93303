# Sources of the tokenizer.json -> metadata translation (format/hf_tokenizer.h), owned by the
# tokenizer work; the format CMakeLists builds them into qwl_format and hf_tokenizer_tests.
set(HF_TOKENIZER_SOURCES hf_tokenizer.cpp)
set(HF_TOKENIZER_TEST_SOURCES hf_tokenizer_test.cpp)
