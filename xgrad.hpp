#pragma once
// Everything a user of xgrad needs: `#include <xgrad.hpp>`.

#include "autograd/array.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/node.hpp"
#include "autograd/random.hpp"
#include "autograd/tensor.hpp"
#include "ops/activation.hpp"
#include "ops/elementwise.hpp"
#include "ops/linalg.hpp"
#include "ops/loss.hpp"
#include "ops/reduce.hpp"
#include "ops/shape.hpp"
