# Sources of the tokenizer.json -> metadata translation (format/hf_tokenizer.h).
set(HF_TOKENIZER_SOURCES "")
set(HF_TOKENIZER_TEST_SOURCES "")
