// Empty: the target only exports FuzzDriver.h; libFuzzer's runtime defines the function.
