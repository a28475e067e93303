# Sources of the quantized number formats (ops/quant.h).
set(QUANT_SOURCES "")
set(QUANT_TEST_SOURCES "")
