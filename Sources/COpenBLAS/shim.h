#include <cblas.h>
#include <lapacke.h>
// Debian's OpenBLAS exports this; it lets workers run single-threaded BLAS.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
