# Writes the numpy-made .npy files that npy_test.go reads (numpy 1.24 made
# the committed ones): python3 make_npy.py in this folder.
import numpy as np

np.save("numpy_f4.npy", (np.arange(2 * 3 * 4, dtype=np.float32) / 8 - 1).reshape(2, 3, 4))
np.save("numpy_f8.npy", np.array([0.5, -1.25, 1e300, 5e-324], dtype=np.float64))
np.save("numpy_u1.npy", np.arange(6, dtype=np.uint8).reshape(3, 2) * 40)
np.save("numpy_be.npy", np.arange(3, dtype=">f4"))
np.save("numpy_fortran.npy", np.asfortranarray(np.ones((2, 3), dtype=np.float32)))
np.save("numpy_i8.npy", np.arange(3, dtype=np.int64))
