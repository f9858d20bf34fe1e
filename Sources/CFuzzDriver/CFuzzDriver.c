// Declarations only (include/CFuzzDriver.h); the driver itself comes from compiler-rt's libFuzzer.
#include "CFuzzDriver.h"
