"""random_pdf_* operators: densities vs loop references, gradients, shapes, JSON, errors."""
import math

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.test_utils import assert_almost_equal, check_numeric_gradient


def _lg(v):
    return math.lgamma(v)


# log-density references, one scalar at a time
REF = {
    'uniform': lambda x, lo, hi: -math.log(hi - lo) if lo <= x <= hi else -math.inf,
    'normal': lambda x, mu, s: -0.5 * ((x - mu) / s) ** 2 - math.log(s * math.sqrt(2 * math.pi)),
    'gamma': lambda x, a, b: a * math.log(b) + (a - 1) * math.log(x) - b * x - _lg(a),
    'exponential': lambda x, lam: math.log(lam) - lam * x,
    'poisson': lambda x, lam: x * math.log(lam) - lam - _lg(x + 1),
    'negative_binomial': lambda x, k, p: (_lg(x + k) - _lg(x + 1) - _lg(k) + k * math.log(p)
                                          + x * math.log(1 - p)),
    'generalized_negative_binomial': lambda x, mu, a: REF['negative_binomial'](
        x, 1 / a, 1 / (1 + a * mu)),
}

RNG = np.random.RandomState(3)
# name -> (sample, params) with params of the sample's leading shape (2,), draws (3,)
CASES = {
    'uniform': (RNG.uniform(0.1, 0.9, (2, 3)), [np.array([0., -1.]), np.array([1., 2.])]),
    'normal': (RNG.randn(2, 3), [np.array([0.2, -0.5]), np.array([1.5, 0.7])]),
    'gamma': (RNG.uniform(0.3, 2, (2, 3)), [np.array([2., 3.5]), np.array([1.5, 0.6])]),
    'exponential': (RNG.uniform(0.1, 2, (2, 3)), [np.array([2., 0.5])]),
    'poisson': (RNG.randint(0, 6, (2, 3)).astype(float), [np.array([2., 4.5])]),
    'negative_binomial': (RNG.randint(0, 6, (2, 3)).astype(float),
                          [np.array([2., 3.5]), np.array([0.4, 0.7])]),
    'generalized_negative_binomial': (RNG.randint(0, 6, (2, 3)).astype(float),
                                      [np.array([2., 1.5]), np.array([0.4, 0.8])]),
}
DISCRETE = ('poisson', 'negative_binomial', 'generalized_negative_binomial')


def _ref(name, sample, pars, is_log):
    out = np.empty(sample.shape)
    for i in np.ndindex(*sample.shape):
        out[i] = REF[name](sample[i], *[p[i[:p.ndim]] for p in pars])
    return out if is_log else np.exp(out)


def _sym(name, nparams, is_log=False):
    f = getattr(mx.sym, 'random_pdf_' + name)
    pars = [mx.sym.var('p%d' % i) for i in range(nparams)]
    return f(mx.sym.var('sample'), *pars, is_log=is_log)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('is_log', [False, True])
@pytest.mark.parametrize('name', sorted(CASES))
def test_forward_and_symbolic(name, is_log, dtype):
    sample, pars = CASES[name]
    out = getattr(mx.nd, 'random_pdf_' + name)(
        mx.nd.array(sample, dtype=dtype), *[mx.nd.array(p, dtype=dtype) for p in pars],
        is_log=is_log)
    assert out.dtype == np.dtype(dtype) and out.shape == sample.shape
    tol = 1e-4 if dtype == 'float32' else 1e-10
    assert_almost_equal(out.asnumpy(), _ref(name, sample, pars, is_log), rtol=tol, atol=tol)
    s = _sym(name, len(pars), is_log)
    args = {'sample': mx.nd.array(sample, dtype=dtype)}
    args.update({'p%d' % i: mx.nd.array(p, dtype=dtype) for i, p in enumerate(pars)})
    ex = s.bind(mx.cpu(), args)
    assert_almost_equal(ex.forward()[0].asnumpy(), out.asnumpy())
    assert mx.sym.load_json(s.tojson()).tojson() == s.tojson()
    assert '"_random_pdf_%s"' % name in s.tojson()


@pytest.mark.parametrize('is_log', [False, True])
@pytest.mark.parametrize('name', sorted(CASES))
def test_numeric_gradient(name, is_log):
    sample, pars = CASES[name]
    s = _sym(name, len(pars), is_log)
    loc = {'sample': sample}
    loc.update({'p%d' % i: p for i, p in enumerate(pars)})
    nodes = ['p%d' % i for i in range(len(pars))]
    if name not in DISCRETE:
        nodes = ['sample'] + nodes
    check_numeric_gradient(s, loc, grad_nodes=nodes, numeric_eps=1e-5, rtol=1e-4,
                           atol=1e-6, dtype=np.float64)


def test_discrete_sample_gradient_is_zero():
    x = mx.nd.array([[3., 5.]])
    lam = mx.nd.array([2.])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.random_pdf_poisson(x, lam)
    y.backward()
    assert (x.grad.asnumpy() == 0).all()


def test_values_pinned_from_mxnet():
    # MXNet 1.9.1: gradients of random_pdf_generalized_negative_binomial(is_log=True)
    # at sample [[3, 5]], mu [2], alpha [0.4]; and gamma's beta is a rate
    x, mu, al = mx.nd.array([[3., 5.]]), mx.nd.array([2.]), mx.nd.array([0.4])
    mu.attach_grad()
    al.attach_grad()
    with mx.autograd.record():
        y = mx.nd.random_pdf_generalized_negative_binomial(x, mu, al, is_log=True)
    y.backward()
    assert_almost_equal(y.asnumpy(), [[-2.020885706, -3.061927795]], rtol=1e-5)
    assert_almost_equal(mu.grad.asnumpy(), [1.1111109], rtol=1e-5)
    assert_almost_equal(al.grad.asnumpy(), [-0.5442195], rtol=1e-5)
    g = mx.nd.random_pdf_gamma(mx.nd.array([[0.3]]), mx.nd.array([2.]), mx.nd.array([1.5]))
    assert_almost_equal(g.asnumpy(), [[0.430399]], rtol=1e-5)


def test_dirichlet():
    alpha = np.array([[1.5, 2., 3.], [0.7, 1.2, 2.5]])
    sample = RNG.dirichlet([1, 1, 1], size=(2, 4))
    out = mx.nd.random_pdf_dirichlet(mx.nd.array(sample, dtype='float64'),
                                     mx.nd.array(alpha, dtype='float64'), is_log=True)
    assert out.shape == (2, 4)
    ref = np.empty((2, 4))
    for i in range(2):
        for j in range(4):
            a, x = alpha[i], sample[i, j]
            ref[i, j] = (_lg(a.sum()) - sum(_lg(v) for v in a)
                         + sum((v - 1) * math.log(t) for v, t in zip(a, x)))
    assert_almost_equal(out.asnumpy(), ref, rtol=1e-10)
    s = mx.sym.random_pdf_dirichlet(mx.sym.var('sample'), mx.sym.var('alpha'))
    check_numeric_gradient(s, {'sample': sample, 'alpha': alpha}, numeric_eps=1e-6,
                           rtol=1e-4, atol=1e-6, dtype=np.float64)
    # MXNet 1.9.1 values
    one = mx.nd.random_pdf_dirichlet(mx.nd.array([[[0.2, 0.3, 0.5]]]),
                                     mx.nd.array([[1.5, 2., 3.]]))
    assert_almost_equal(one.asnumpy(), [[5.447795]], rtol=1e-5)
    assert s.infer_shape_partial(alpha=(2, 3))[1] == [()]
    assert s.infer_shape_partial(sample=(2, 4, 3))[1] == [(2, 4)]
    assert s.infer_shape(sample=(2, 4, 3), alpha=(2, 3))[0] == [(2, 4, 3), (2, 3)]


def test_shapes_and_errors():
    s = _sym('normal', 2)
    assert s.list_arguments() == ['sample', 'p0', 'p1']
    assert s.infer_shape_partial(sample=(2, 3))[1] == [(2, 3)]
    assert s.infer_shape(sample=(2, 3), p0=(2,))[0] == [(2, 3), (2,), (2,)]
    assert s.infer_shape_partial(p0=(2,))[1] == [()]
    args = mx.sym.random_pdf_uniform(mx.sym.var('x')).list_arguments()
    assert args[0] == 'x' and args[1].endswith('_low') and args[2].endswith('_high')
    with pytest.raises(MXNetError, match='does not start with'):
        s.infer_shape(sample=(2, 3), p0=(3,))
    with pytest.raises(MXNetError, match="parameter 'sigma'"):
        mx.sym.random_pdf_normal(mx.sym.var('x'), mx.sym.var('m'), mx.sym.var('s')) \
            .infer_shape(x=(2, 3), m=(2,), s=(3,))
    with pytest.raises(MXNetError, match='does not fit alpha'):
        mx.sym.random_pdf_dirichlet(mx.sym.var('x'), mx.sym.var('a')).infer_shape(
            x=(2, 4, 3), a=(2, 2))
    with pytest.raises(MXNetError, match='is_log'):
        mx.nd.random_pdf_exponential(mx.nd.ones((1, 1)), mx.nd.ones((1,)), is_log='maybe')


def test_uniform_outside_support():
    out = mx.nd.random_pdf_uniform(mx.nd.array([[-1., 0.5, 2.]]), mx.nd.array([0.]),
                                   mx.nd.array([1.]), is_log=True)
    assert out.asnumpy()[0, 0] == -np.inf and out.asnumpy()[0, 1] == 0


def test_docstring_examples_run():
    import doctest
    from mxlite.ops import random_pdf
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(random_pdf, globs={'mx': mx, 'np': np}) if t.examples]
    assert len(tests) >= 8
    for t in tests:
        runner.run(t)
    assert runner.failures == 0
