"""Training data and training of the shipped analysis models (tempo and key weights)."""

import os

# The fits multiply many small matrices (a clip's 400 tempi x 142 features): threaded BLAS
# gains nothing there, and its threads fighting the feature workers and each other made a
# cross-validation about ten times slower on 2 shared cores. Set before numpy loads.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
