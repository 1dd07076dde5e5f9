"""Interleaved multi-head attention matmuls (contrib): a table of the four ops x dtypes run
by one harness — forward and gradients against an einsum reference on the (heads, parts,
head_dim) layout and against values recorded from MXNet 1.9.1, gradients against finite
differences, shape inference (also partial), JSON, imperative == bind, and errors.
"""
import doctest
import itertools

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.test_utils import assert_almost_equal, check_numeric_gradient


def mk(seed, shape):
    return np.random.RandomState(seed).uniform(-1, 1, shape).astype(np.float32)


def _heads(x, parts, heads):
    """(S, B, heads*parts*D) -> (B, heads, parts, S, D) in float64."""
    s, b, e = x.shape
    return x.astype(np.float64).reshape(s, b, heads, parts, e // (heads * parts)) \
        .transpose(1, 2, 3, 0, 4)


def ref_qk(q, k):
    """q (B,H,Sq,D), k (B,H,Sk,D) -> (B*H, Sq, Sk) scaled by 1/sqrt(D)."""
    b, h, sq, d = q.shape
    return (np.einsum('bhid,bhjd->bhij', q, k) / np.sqrt(d)).reshape(b * h, sq, -1)


def ref_valatt(att, v):
    """att (B*H,Sq,Sk), v (B,H,Sk,D) -> (Sq, B, H*D)."""
    b, h, sk, d = v.shape
    out = np.einsum('bhij,bhjd->ibhd', att.astype(np.float64).reshape(b, h, -1, sk), v)
    return out.reshape(out.shape[0], b, h * d)


REFS = {
    'selfatt_qk': lambda H, x: ref_qk(_heads(x, 3, H)[:, :, 0], _heads(x, 3, H)[:, :, 1]),
    'selfatt_valatt': lambda H, x, a: ref_valatt(a, _heads(x, 3, H)[:, :, 2]),
    'encdec_qk': lambda H, q, kv: ref_qk(_heads(q, 1, H)[:, :, 0], _heads(kv, 2, H)[:, :, 0]),
    'encdec_valatt': lambda H, kv, a: ref_valatt(a, _heads(kv, 2, H)[:, :, 1]),
}
ARGS = {'selfatt_qk': ['queries_keys_values'],
        'selfatt_valatt': ['queries_keys_values', 'attention'],
        'encdec_qk': ['queries', 'keys_values'],
        'encdec_valatt': ['keys_values', 'attention']}


def shapes(op, S, B, H, D, Sq):
    return {'selfatt_qk': [(S, B, H * 3 * D)],
            'selfatt_valatt': [(S, B, H * 3 * D), (B * H, S, S)],
            'encdec_qk': [(Sq, B, H * D), (S, B, H * 2 * D)],
            'encdec_valatt': [(S, B, H * 2 * D), (B * H, Sq, S)]}[op]


def out_shape(op, S, B, H, D, Sq):
    return {'selfatt_qk': (B * H, S, S), 'selfatt_valatt': (S, B, H * D),
            'encdec_qk': (B * H, Sq, S), 'encdec_valatt': (Sq, B, H * D)}[op]


# (S, B, heads, head_dim, Sq)
CASES = [(3, 2, 2, 2, 2), (5, 1, 1, 3, 4), (4, 3, 3, 1, 1), (1, 2, 4, 2, 3)]
OPS = list(REFS)
DTYPES = [np.float32, np.float64]

# recorded from MXNet 1.9.1 (float32): S=3, B=2, heads=2, head_dim=2, Sq=2; inputs
# PIN_INPUTS[op], head gradient mk(9, out.shape); [output, grad of each input]
PIN_INPUTS = {'selfatt_qk': [(1, (3, 2, 12))],
              'selfatt_valatt': [(1, (3, 2, 12)), (2, (4, 3, 3))],
              'encdec_qk': [(3, (2, 2, 4)), (4, (3, 2, 8))],
              'encdec_valatt': [(4, (3, 2, 8)), (5, (4, 2, 3))]}
PINNED = {
    'selfatt_qk': [
        np.array([[[-0.005859, -0.189859, 0.224248], [-0.752793, -0.956226, -0.312076], [0.506909, 0.731432, 0.101366]], [[0.074652, -0.420814, 0.088545], [0.108615, -0.527584, -0.005372], [-0.046576, -0.052811, 0.444515]], [[0.577385, 0.670204, -0.254289], [-0.087964, -0.017352, 0.021321], [0.490141, 0.481007, -0.197793]], [[-0.705747, 0.448068, -0.526124], [0.196372, 0.203762, -0.205273], [0.159049, -0.186012, 0.209617]]]),
        np.array([[[0.695823, 0.269162, -0.225991, -0.628534, 0.0, 0.0, -0.307088, -0.426478, -0.376947, -0.125056, 0.0, 0.0], [-0.402172, 0.193842, -0.43291, 0.128105, 0.0, 0.0, 0.255559, -0.331586, 0.097479, 0.391209, 0.0, 0.0]], [[1.32037, 0.52896, -0.230239, -0.134681, 0.0, 0.0, -0.687305, -0.192705, 0.810216, -0.254312, 0.0, 0.0], [-0.721425, 0.331934, -0.339482, 0.450135, 0.0, 0.0, 0.314353, 0.260149, -0.364532, 0.266412, 0.0, 0.0]], [[0.976311, 0.163582, -0.048954, 0.1185, 0.0, 0.0, 0.529205, -0.121442, -0.566103, -0.420632, 0.0, 0.0], [-0.736939, 0.309972, -0.466879, -0.271402, 0.0, 0.0, 0.490352, -0.287209, -0.572558, 0.020547, 0.0, 0.0]]]),
    ],
    'selfatt_valatt': [
        np.array([[[0.659252, -0.659274, 0.178748, -0.238856], [-0.94606, -0.335158, -0.40611, 0.146293]], [[0.392263, 0.144131, 0.015808, -0.532895], [0.729562, -0.231336, -0.236864, 0.017839]], [[0.490902, 0.849906, 0.177394, -0.054418], [0.805738, -0.030833, -0.161317, 0.14667]]]),
        np.array([[[0.0, 0.0, 0.0, 0.0, -0.237245, -0.157684, 0.0, 0.0, 0.0, 0.0, 0.545608, 0.01923], [0.0, 0.0, 0.0, 0.0, -1.110979, 0.121924, 0.0, 0.0, 0.0, 0.0, 0.080467, 0.38899]], [[0.0, 0.0, 0.0, 0.0, 1.250847, 0.125283, 0.0, 0.0, 0.0, 0.0, 0.047587, 0.129755], [0.0, 0.0, 0.0, 0.0, 0.428173, 0.681079, 0.0, 0.0, 0.0, 0.0, -0.139564, 0.194295]], [[0.0, 0.0, 0.0, 0.0, -0.133937, -0.028523, 0.0, 0.0, 0.0, 0.0, 0.419013, -0.525183], [0.0, 0.0, 0.0, 0.0, -0.610895, 0.525402, 0.0, 0.0, 0.0, 0.0, 0.013795, 0.207711]]]),
        np.array([[[0.688773, 0.649474, 0.563019], [0.839651, 0.315629, 0.624675], [-0.834528, -0.273193, -0.615616]], [[-0.269921, 0.266967, -0.294092], [0.388171, -0.535105, 0.183447], [0.134512, -0.112663, 0.178835]], [[0.052312, -0.979208, 0.603856], [-0.257453, 0.423968, -0.878048], [0.083197, -0.028976, 0.232281]], [[-0.132966, 0.074765, 0.233783], [-0.092621, 0.265351, 0.215772], [-0.268863, 0.559305, 0.573998]]]),
    ],
    'encdec_qk': [
        np.array([[[0.094909, -0.137327, -0.227551], [-0.600401, 0.641911, 0.03807]], [[-0.125634, 0.051514, -0.010219], [-0.228258, 0.030089, -0.049252]], [[-0.347632, -0.839685, 0.024308], [-0.063347, 0.128436, -0.12113]], [[-0.784688, -0.171338, 0.129668], [0.305194, 0.092816, -0.061377]]]),
        np.array([[[-0.649639, -0.061328, -0.028792, -0.416339], [0.053256, 0.541139, 0.222689, 0.012173]], [[-0.003932, 0.377794, -9.5e-05, -0.15175], [-0.467434, -0.433419, 0.426159, 0.181475]]]),
        np.array([[[0.394191, -0.226955, 0.0, 0.0, 0.253637, 0.016368, 0.0, 0.0], [0.531905, 0.459893, 0.0, 0.0, 0.046272, 0.010359, 0.0, 0.0]], [[0.454302, 0.06102, 0.0, 0.0, 0.592067, 0.03297, 0.0, 0.0], [-0.344749, -0.766375, 0.0, 0.0, -0.052416, -0.084127, 0.0, 0.0]], [[0.356441, 0.044629, 0.0, 0.0, -0.257383, -0.058958, 0.0, 0.0], [0.291697, 0.118609, 0.0, 0.0, 0.103106, 0.085179, 0.0, 0.0]]]),
    ],
    'encdec_valatt': [
        np.array([[[-0.80067, 0.385274, 0.607737, -0.619965], [0.203108, 0.036896, -0.089646, 0.091422]], [[0.659848, 0.358733, -1.169017, 0.145374], [-0.505143, 0.648948, 0.106862, -0.225251]]]),
        np.array([[[0.0, 0.0, -0.151991, -0.260788, 0.0, 0.0, 0.411739, -0.862334], [0.0, 0.0, -0.323496, 0.482884, 0.0, 0.0, -0.228489, -0.197922]], [[0.0, 0.0, -0.706799, 0.009942, 0.0, 0.0, 0.558516, -0.661833], [0.0, 0.0, 0.334441, 0.5429, 0.0, 0.0, -0.197507, -0.143109]], [[0.0, 0.0, 0.388476, -0.071257, 0.0, 0.0, -0.31438, 0.658678], [0.0, 0.0, -0.911743, -0.051486, 0.0, 0.0, -0.228823, -0.172404]]]),
        np.array([[[-0.924143, 0.896188, 0.66971], [-0.919191, 0.476195, 0.540699]], [[0.715163, -0.541338, -0.217751], [-1.382508, 0.173033, 0.358137]], [[-0.059616, 0.229567, -0.021405], [1.06174, 0.794319, 1.074655]], [[0.011503, -0.449992, 0.187344], [-0.239398, 0.149578, 0.076978]]]),
    ],
}


def op_fn(op, mod):
    return getattr(mod.contrib, 'interleaved_matmul_' + op)


def _sym(op, H):
    vars_ = [mx.sym.Variable(n) for n in ARGS[op]]
    return op_fn(op, mx.sym)(*vars_, heads=H, name='att')


@pytest.mark.parametrize('op,case,dtype', list(itertools.product(OPS, CASES, DTYPES)))
def test_forward_backward_vs_reference(op, case, dtype):
    S, B, H, D, Sq = case
    ins = [mk(i + 11, s).astype(dtype) for i, s in enumerate(shapes(op, *case))]
    sym = _sym(op, H)
    ex = sym.bind(mx.cpu(), args={n: mx.nd.array(a, dtype=dtype)
                                  for n, a in zip(ARGS[op], ins)},
                  args_grad={n: mx.nd.zeros(a.shape, dtype=dtype)
                             for n, a in zip(ARGS[op], ins)})
    out = ex.forward(is_train=True)[0]
    assert out.shape == out_shape(op, *case) and out.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert_almost_equal(out.asnumpy(), REFS[op](H, *ins), rtol=tol, atol=tol)
    # imperative call == bound symbol
    imp = op_fn(op, mx.nd)(*[mx.nd.array(a, dtype=dtype) for a in ins], heads=H)
    assert_almost_equal(imp.asnumpy(), out.asnumpy(), rtol=0, atol=0)
    # gradient of <out, g>: the ops are at most quadratic in each input, so central
    # differences of the float64 reference with a unit step are exact
    g = mk(99, out.shape).astype(dtype)
    ex.backward(mx.nd.array(g, dtype=dtype))
    base = [a.astype(np.float64) for a in ins]
    for i, name in enumerate(ARGS[op]):
        num = np.zeros(ins[i].shape)
        flat = num.reshape(-1)
        for j in range(flat.size):
            val = []
            for step in (1.0, -1.0):
                moved = list(base)
                moved[i] = base[i].copy()
                moved[i].reshape(-1)[j] += step
                val.append((REFS[op](H, *moved) * g).sum())
            flat[j] = (val[0] - val[1]) / 2
        assert_almost_equal(ex.grad_dict[name].asnumpy(), num, rtol=tol, atol=tol,
                            names=(name, 'reference'))


@pytest.mark.parametrize('op', OPS)
def test_pinned_mxnet(op):
    ins = [mx.nd.array(mk(seed, s)) for seed, s in PIN_INPUTS[op]]
    for a in ins:
        a.attach_grad()
    with mx.autograd.record():
        out = op_fn(op, mx.nd)(*ins, heads=2)
    out.backward(mx.nd.array(mk(9, out.shape)))
    got = [out] + [a.grad for a in ins]
    for g, want in zip(got, PINNED[op]):
        assert_almost_equal(g.asnumpy(), want, rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize('op', OPS)
def test_numeric_gradient(op):
    case = (3, 2, 2, 2, 2)
    ins = {n: mk(i + 21, s).astype(np.float64)
           for i, (n, s) in enumerate(zip(ARGS[op], shapes(op, *case)))}
    check_numeric_gradient(_sym(op, 2), ins, numeric_eps=1e-6, rtol=1e-6, atol=1e-8,
                           dtype=np.float64)


@pytest.mark.parametrize('op', OPS)
def test_shape_inference_and_json(op):
    case = (5, 3, 2, 4, 6)
    sym = _sym(op, 2)
    arg, out, _ = sym.infer_shape(**dict(zip(ARGS[op], shapes(op, *case))))
    assert out == [out_shape(op, *case)] and arg == shapes(op, *case)
    js = sym.tojson()
    assert mx.sym.load_json(js).tojson() == js
    assert '"heads": "2"' in js and '_contrib_interleaved_matmul_' + op in js


def test_partial_shape_inference():
    # the attention map's shape follows from the projections alone
    sym = _sym('selfatt_valatt', 2)
    arg, out, _ = sym.infer_shape(queries_keys_values=(5, 3, 24))
    assert arg[1] == (6, 5, 5) and out == [(5, 3, 8)]
    arg, out, _ = _sym('encdec_qk', 2).infer_shape_partial(queries=(4, 3, 8))
    assert out == [None] or out == [()]


@pytest.mark.parametrize('op,kwargs,match', [
    ('selfatt_qk', dict(queries_keys_values=(5, 3, 10)), 'divisible by heads \\* 3'),
    ('selfatt_qk', dict(queries_keys_values=(5, 12)), 'expected 3-D'),
    ('selfatt_valatt', dict(queries_keys_values=(5, 3, 12), attention=(6, 5, 4)),
     "'attention'"),
    ('encdec_qk', dict(queries=(4, 3, 8), keys_values=(5, 2, 16)), 'same batch'),
    ('encdec_qk', dict(queries=(4, 3, 8), keys_values=(5, 3, 8)), 'same batch'),
    ('encdec_valatt', dict(keys_values=(5, 3, 16), attention=(4, 2, 5)), "'attention'"),
])
def test_shape_errors(op, kwargs, match):
    with pytest.raises(MXNetError, match=match):
        _sym(op, 2).infer_shape(**kwargs)


def test_param_errors():
    with pytest.raises(MXNetError, match="required parameter 'heads'"):
        mx.sym.contrib.interleaved_matmul_selfatt_qk(mx.sym.Variable('x'))
    with pytest.raises(MXNetError, match='heads must be positive'):
        mx.nd.contrib.interleaved_matmul_selfatt_qk(mx.nd.ones((2, 1, 6)), heads=0)


def test_docstring_examples_run():
    from mxlite.ops import attention_ops
    assert doctest.testmod(attention_ops, extraglobs={'mx': mx}).failed == 0
