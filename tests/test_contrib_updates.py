"""mx.nd.contrib / mx.sym.contrib front ends of the AdamW and LAMB update operators: a
float rescale_grad becomes the (1,) array the operators read, and lists of weights and
states are interleaved into their flat input order."""
import numpy as np
import pytest

import mxlite as mx


def _arrays(rng, n, dtype='float32'):
    return [mx.nd.array(rng.randn(n), dtype=dtype) for _ in range(2)] + \
        [mx.nd.zeros(n), mx.nd.array(rng.rand(n))]


@pytest.mark.parametrize('rescale', [0.5, 'array'])
def test_adamw_front_end_equals_the_operator(rescale):
    rng = np.random.RandomState(0)
    w, g, m, v = _arrays(rng, 5)
    w2, g2, m2, v2 = [a.copy() for a in (w, g, m, v)]
    scale = mx.nd.array([0.5]) if rescale == 'array' else rescale
    kw = dict(lr=0.1, eta=0.7, wd=0.01, clip_gradient=0.3)
    mx.nd.contrib.adamw_update(w, g, m, v, scale, out=w, **kw)
    mx.nd._internal._adamw_update(w2, g2, m2, v2, mx.nd.array([0.5]), out=w2, **kw)
    for a, b in ((w, w2), (m, m2), (v, v2)):
        np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())


def test_multi_adamw_equals_single_updates():
    rng = np.random.RandomState(1)
    groups = [_arrays(rng, n) for n in (3, 4)]
    singles = [[a.copy() for a in grp] for grp in groups]
    ws, gs, ms, vs = (list(x) for x in zip(*groups))
    mx.nd.contrib.multi_adamw_update(ws, gs, ms, vs, 2.0, lrs=(0.1, 0.2), wds=(0.0, 0.1),
                                     etas=(1.0, 0.5), out=ws)
    for (w, g, m, v), lr, wd, eta in zip(singles, (0.1, 0.2), (0.0, 0.1), (1.0, 0.5)):
        mx.nd.contrib.adamw_update(w, g, m, v, 2.0, lr=lr, wd=wd, eta=eta, out=w)
    for got, (w, _, m, v) in zip(zip(ws, ms, vs), singles):
        for a, b in zip(got, (w, m, v)):
            np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-6)


def test_multi_lamb_front_end_equals_the_operator():
    rng = np.random.RandomState(2)
    groups = [_arrays(rng, n) for n in (3, 4)]
    copies = [[a.copy() for a in grp] for grp in groups]
    ws, gs, ms, vs = (list(x) for x in zip(*groups))
    mx.nd.contrib.multi_lamb_update(ws, gs, ms, vs, step_count=(1, 2), lrs=(0.1, 0.2),
                                    wds=(0.0, 0.1), out=ws)
    flat = [a for grp in copies for a in grp]
    outs = [grp[0] for grp in copies]
    mx.nd._internal._multi_lamb_update(*flat, num_tensors=2, step_count=(1, 2),
                                       learning_rates=(0.1, 0.2), wds=(0.0, 0.1), out=outs)
    for a, b in zip(ws, outs):
        np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())


def test_symbol_adamw_takes_a_float_rescale():
    names = ['w', 'g', 'm', 'v']
    sym = mx.sym.contrib.adamw_update(*[mx.sym.var(n) for n in names], rescale_grad=0.5,
                                      lr=0.1, eta=1.0)
    assert sym.list_arguments() == names
    rng = np.random.RandomState(3)
    args = dict(zip(names, _arrays(rng, 4)))
    ref = [a.copy() for a in args.values()]
    out = sym.bind(mx.cpu(), args=args).forward()[0]
    mx.nd.contrib.adamw_update(*ref, 0.5, lr=0.1, eta=1.0, out=ref[0])
    np.testing.assert_array_equal(out.asnumpy(), ref[0].asnumpy())


def test_module_example_runs():
    import doctest
    from mxlite.ndarray import contrib_updates
    assert doctest.testmod(contrib_updates).failed == 0
