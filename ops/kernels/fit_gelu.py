#!/usr/bin/env python3
"""Fits the two polynomials of float32 gelu in ops/kernels/vector_math.hpp, both evaluated in float:
- G with e^(z²) erfc(z) = t G(s) for z in [0, 11], t = 1 / (1 + z/2), s = (t - (a+b)/2) / ((b-a)/2)
  over t in [a, b] = [2/13, 1] (so s = (1 - 15z/22) t);
- E with e^r = E(r) for r in [-R, R], R = ln2/2 + 0.01 (the reduced argument of e^(-x²/2)).
Weighted least squares (relative error) in Chebyshev polynomials at 600 Chebyshev nodes against
mpmath at 40 digits, printed as monomial coefficients for Horner's rule (highest first), with the
largest relative error of each (before rounding to float).
  usage: python3 ops/kernels/fit_gelu.py   (needs numpy and mpmath, both beside python3-torch)"""
import mpmath as mp
import numpy as np

mp.mp.dps = 40
NODES = 600


def fit(f, lo, hi, degree):
    """Coefficients of p(u), u = the argument itself, with p(u) ~ f(u) on [lo, hi] relatively."""
    k = np.arange(NODES)
    s = np.cos(np.pi * (k + 0.5) / NODES)
    u = (lo + hi) / 2 + (hi - lo) / 2 * s
    target = np.array([float(f(x)) for x in u])
    cheb, *_ = np.linalg.lstsq(np.polynomial.chebyshev.chebvander(s, degree) / target[:, None], np.ones(NODES), rcond=None)
    mono = np.polynomial.chebyshev.cheb2poly(cheb)  # in s, lowest first
    us = np.linspace(lo, hi, 4001)
    ss = (us - (lo + hi) / 2) / ((hi - lo) / 2)
    error = max(abs(np.polyval(mono[::-1], x) / float(f(v)) - 1) for x, v in zip(ss, us))
    return mono[::-1], error


a, b = 1 / (1 + 11.0 / 2), 1.0
g, g_error = fit(lambda s: (lambda t, z: mp.exp(z * z) * mp.erfc(z) / t)(*(lambda t: (t, 2 * (1 / t - 1)))(
    mp.mpf((a + b) / 2 + (b - a) / 2 * s))), -1.0, 1.0, 10)
R = float(mp.log(2) / 2) + 0.01
e, e_error = fit(lambda r: mp.exp(r), -R, R, 6)
e = [c / R ** (len(e) - 1 - i) for i, c in enumerate(e)]  # in r itself, not r / R
print("G:", ", ".join("%.9e" % c for c in g), f"(largest relative error {g_error:.2e})")
print("E:", ", ".join("%.9e" % c for c in e), f"(largest relative error {e_error:.2e})")
