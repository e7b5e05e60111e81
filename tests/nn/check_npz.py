"""Opens a model saved by xgrad with NumPy and checks its layer names and shapes.
usage: check_npz.py MODEL.npz 784,256,128,10"""
import sys

import numpy as np

path, sizes = sys.argv[1], [int(s) for s in sys.argv[2].split(",")]
with np.load(path) as z:
    expected = {}
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        expected[f"{2 * i}.weight"] = (n_out, n_in)
        expected[f"{2 * i}.bias"] = (n_out,)
    got = {name: z[name].shape for name in z.files}
    assert got == expected, f"names and shapes differ: {got} vs {expected}"
    assert all(z[name].dtype == np.float32 for name in z.files)
    assert all(np.isfinite(z[name]).all() for name in z.files)
    print(f"numpy {np.__version__} opened {path}: {len(z.files)} arrays, {sum(z[n].size for n in z.files)} parameters")
