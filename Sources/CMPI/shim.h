// OpenMPI for DeepTheory's optional MPI build (DEEPTHEORY_MPI=1). MPI_COMM_WORLD and the datatype/operation handles are
// macros Swift cannot import; these inline functions hand them over.
#include <mpi.h>

static inline MPI_Comm dt_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype dt_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype dt_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype dt_long(void) { return MPI_LONG; }
static inline MPI_Op dt_sum(void) { return MPI_SUM; }
static inline MPI_Op dt_min(void) { return MPI_MIN; }
