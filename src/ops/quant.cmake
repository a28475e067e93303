# Sources of the quantized number formats (ops/quant.h): the scalar reference kernels and their
# tests (golden data from llama.cpp in testdata/, see testdata/README.md).
set(QUANT_SOURCES quant.cpp quant_legacy.cpp quant_k.cpp)
set(QUANT_TEST_SOURCES quant_test.cpp quant_golden_test.cpp)
