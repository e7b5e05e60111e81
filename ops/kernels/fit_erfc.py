#!/usr/bin/env python3
"""Fits the polynomial Q of ops/kernels/vector_math.hpp's erfc for z in [0, 11]:
e^(z²) erfc(z) = Q(s), t = 1 / (1 + z/2), s = (t - (a+b)/2) / ((b-a)/2) over t in [a, b] = [2/13, 1].
Weighted least squares (relative error) in Chebyshev polynomials at 400 Chebyshev nodes against
mpmath's erfc at 40 digits, printed as monomial coefficients for Horner's rule (highest first)
with the largest relative error over [0, 11].
  usage: python3 ops/kernels/fit_erfc.py   (needs numpy and mpmath, both beside python3-torch)"""
import mpmath as mp
import numpy as np

mp.mp.dps = 40
DEGREE, ZMAX, NODES = 16, 11.0, 400
a, b = 1 / (1 + ZMAX / 2), 1.0


def scaled_erfc(z):
    return mp.exp(mp.mpf(z) ** 2) * mp.erfc(z)


k = np.arange(NODES)
t = (a + b) / 2 + (b - a) / 2 * np.cos(np.pi * (k + 0.5) / NODES)
s = (t - (a + b) / 2) / ((b - a) / 2)
target = np.array([float(scaled_erfc(2 * (1 / x - 1))) for x in t])
cheb, *_ = np.linalg.lstsq(np.polynomial.chebyshev.chebvander(s, DEGREE) / target[:, None], np.ones(NODES), rcond=None)
mono = np.polynomial.chebyshev.cheb2poly(cheb)[::-1]
zs = np.linspace(0, ZMAX, 1001)
q = np.polyval(mono, (1 / (1 + zs / 2) - (a + b) / 2) / ((b - a) / 2))
error = max(abs(float(x / scaled_erfc(z)) - 1) for x, z in zip(q, zs))
print(", ".join(repr(float(c)) for c in mono))
print(f"largest relative error over [0, {ZMAX}]: {error:.2e}")
