"""mx.test_utils' statistical checks, optimizer comparison, speed check, environment probes
and data set helpers (mxlite/test_utils_stats.py). No network: URLs are file:// ones."""
import bz2
import gzip
import math
import os
import pathlib
import statistics
import zipfile

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite import test_utils_stats as tus
from mxlite.io import mnist


def _q_int(n, x):
    # Q(n, x) for integer n: exp(-x) * sum_{k<n} x^k / k!
    return math.exp(-x) * sum(x ** k / math.factorial(k) for k in range(n))


# (a, x, expected Q(a, x)) from closed forms
GAMMA_CASES = [(1, 0.0, 1.0), (1, 2.0, math.exp(-2.0)), (1, 30.0, math.exp(-30.0)),
               (3, 2.5, _q_int(3, 2.5)), (10, 3.0, _q_int(10, 3.0)),
               (10, 25.0, _q_int(10, 25.0)), (40, 35.0, _q_int(40, 35.0)),
               (0.5, 0.3, math.erfc(math.sqrt(0.3))), (0.5, 4.0, math.erfc(2.0)),
               (0.5, 1e-6, math.erfc(1e-3)),
               # Q(3/2, x) = erfc(sqrt x) + 2 sqrt(x / pi) exp(-x)
               (1.5, 2.0, math.erfc(math.sqrt(2.0)) + 2 * math.sqrt(2.0 / math.pi)
                * math.exp(-2.0))]


@pytest.mark.parametrize('a,x,want', GAMMA_CASES)
def test_gammaincc_closed_forms(a, x, want):
    got = tus.gammaincc(a, x)
    assert isinstance(got, float)
    assert got == pytest.approx(want, rel=1e-10, abs=1e-300)


@pytest.mark.parametrize('a', [5000.0, 1e5])
def test_gammaincc_large_a(a):
    # Q(a, a) = 1/2 - 1 / (3 sqrt(2 pi a)) + O(1/a)
    assert tus.gammaincc(a, a) == pytest.approx(0.5 - 1 / (3 * math.sqrt(2 * math.pi * a)),
                                                abs=5 / a)


def test_gammaincc_vectorised_and_errors():
    a = np.array([1.0, 3.0, 0.5])
    x = np.array([2.0, 2.5, 4.0])
    got = tus.gammaincc(a, x)
    np.testing.assert_allclose(got, [math.exp(-2), _q_int(3, 2.5), math.erfc(2.0)],
                               rtol=1e-10)
    with pytest.raises(ValueError, match='a > 0'):
        tus.gammaincc(0.0, 1.0)
    with pytest.raises(ValueError, match='x >= 0'):
        tus.gammaincc(1.0, -1.0)


# chi-square critical values from the standard table: (statistic, dof, upper-tail p)
CHI2_TABLE = [(3.841, 1, 0.05), (6.635, 1, 0.01), (5.991, 2, 0.05), (13.277, 4, 0.01),
              (11.070, 5, 0.05), (18.307, 10, 0.05), (23.209, 10, 0.01),
              (31.410, 20, 0.05), (124.342, 100, 0.05), (2.706, 1, 0.10)]


@pytest.mark.parametrize('stat,dof,p', CHI2_TABLE)
def test_chi2_sf_table(stat, dof, p):
    assert tus.chi2_sf(stat, dof) == pytest.approx(p, rel=2e-3)


def _norm_ppf(q):
    if q <= 0:
        return -np.inf
    if q >= 1:
        return np.inf
    return statistics.NormalDist().inv_cdf(q)


def test_gen_buckets_probs_with_ppf():
    buckets, probs = mx.test_utils.gen_buckets_probs_with_ppf(_norm_ppf, 7)
    assert len(buckets) == 7 and sum(probs) == pytest.approx(1.0)
    assert buckets[0][0] == -np.inf and buckets[-1][1] == np.inf
    assert all(b[1] == n[0] for b, n in zip(buckets, buckets[1:]))
    with pytest.raises(ValueError, match='nbuckets'):
        mx.test_utils.gen_buckets_probs_with_ppf(_norm_ppf, 0)


def test_chi_square_check_counts_and_pvalue():
    samples = np.array([0.1, 0.2, 0.6, 0.7, 0.8, 0.99])
    p, obs, exp = mx.test_utils.chi_square_check(lambda n: samples[:n],
                                                 [(0.0, 0.5), (0.5, 1.0)], [0.5, 0.5],
                                                 nsamples=6)
    assert obs.tolist() == [2, 4] and exp.tolist() == [3.0, 3.0]
    # statistic (1 + 1) / 3 with one degree of freedom: erfc(sqrt(stat / 2))
    assert p == pytest.approx(math.erfc(math.sqrt(1 / 3)), rel=1e-10)
    # discrete buckets count values
    p, obs, _ = mx.test_utils.chi_square_check(lambda n: np.array([1, 2, 2, 3])[:n],
                                               [1, 2, 3], [0.25, 0.5, 0.25], nsamples=4)
    assert obs.tolist() == [1, 2, 1] and p == pytest.approx(1.0)
    with pytest.raises(ValueError, match='probs has 1 entries but there are 2 buckets'):
        mx.test_utils.chi_square_check(lambda n: samples, [(0, 1), (1, 2)], [1.0])
    with pytest.raises(ValueError, match='must not overlap'):
        mx.test_utils.chi_square_check(lambda n: samples, [(0, 1), (0.5, 2)], [0.5, 0.5])


@pytest.mark.parametrize('kind', ['normal', 'uniform'])
def test_verify_generator_accepts_mxlite_random(kind):
    mx.random.seed(7)
    if kind == 'normal':
        buckets, probs = tus.gen_buckets_probs_with_ppf(_norm_ppf, 5)
        gen = lambda n: mx.nd.random.normal(0, 1, shape=n)   # noqa: E731 (NDArray samples)
    else:
        buckets, probs = tus.gen_buckets_probs_with_ppf(lambda q: -2 + 5 * q, 5)
        gen = lambda n: mx.nd.random.uniform(-2, 3, shape=n).asnumpy()  # noqa: E731
    pvals = mx.test_utils.verify_generator(gen, buckets, probs, nsamples=50000, nrepeat=3)
    assert len(pvals) == 3 and all(0 <= p <= 1 for p in pvals)


def test_verify_generator_rejects_biased():
    mx.random.seed(7)
    buckets, probs = tus.gen_buckets_probs_with_ppf(_norm_ppf, 5)
    biased = lambda n: mx.nd.random.normal(0.05, 1, shape=n).asnumpy()  # noqa: E731
    with pytest.raises(AssertionError, match='Generator test failed: 0 of 3'):
        mx.test_utils.verify_generator(biased, buckets, probs, nsamples=100000, nrepeat=3)


def test_mean_var_checks():
    mx.random.seed(3)
    good = lambda n: mx.nd.random.normal(1.0, 2.0, shape=n).asnumpy()  # noqa: E731
    assert mx.test_utils.mean_check(good, 1.0, 2.0, nsamples=100000) is True
    assert mx.test_utils.var_check(good, 2.0, nsamples=100000) is True
    assert mx.test_utils.mean_check(good, 1.1, 2.0, nsamples=100000) is False
    assert mx.test_utils.var_check(good, 2.2, nsamples=100000) is False


OPT_CASES = [
    ('sgd', dict(learning_rate=0.1, momentum=0.9, wd=1e-3)),
    ('adam', dict(learning_rate=0.01)),
    ('rmsprop', dict(learning_rate=0.01, centered=True)),
]


@pytest.mark.parametrize('name,kw', OPT_CASES)
def test_compare_optimizer_equal_passes(name, kw):
    mx.random.seed(0)
    mx.test_utils.compare_optimizer(mx.optimizer.create(name, **kw),
                                    mx.optimizer.create(name, **kw), (4, 5), 'float32')
    # multi-tensor form: opt2 updates both tensors in one call
    mx.test_utils.compare_optimizer(mx.optimizer.create(name, **kw),
                                    mx.optimizer.create(name, **kw), [(3, 2), (6,)],
                                    np.float32, ntensors=2)


def test_compare_optimizer_sparse_grad():
    mx.random.seed(0)
    mx.test_utils.compare_optimizer(mx.optimizer.SGD(learning_rate=0.1),
                                    mx.optimizer.SGD(learning_rate=0.1), (4, 5), 'float32',
                                    g_stype='row_sparse')


def test_compare_optimizer_different_fails():
    mx.random.seed(0)
    with pytest.raises(AssertionError, match='weight1'):
        mx.test_utils.compare_optimizer(mx.optimizer.SGD(learning_rate=0.1),
                                        mx.optimizer.SGD(learning_rate=0.2), (4, 5),
                                        'float32')
    with pytest.raises(AssertionError):   # states differ (momentum vs none)
        mx.test_utils.compare_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9),
                                        mx.optimizer.SGD(learning_rate=0.1), (4, 5),
                                        'float32')
    with pytest.raises(ValueError, match='w_stype'):
        mx.test_utils.compare_optimizer(mx.optimizer.SGD(), mx.optimizer.SGD(), (2,),
                                        'float32', w_stype='bogus')


def test_check_speed():
    data = mx.sym.var('data')
    net = mx.sym.FullyConnected(data, num_hidden=8, name='fc')
    for typ in ('whole', 'forward'):
        t = mx.test_utils.check_speed(net, N=3, typ=typ, data=(4, 6))
        assert isinstance(t, float) and t > 0
    loc = {'data': np.ones((2, 6)), 'fc_weight': np.ones((8, 6)), 'fc_bias': np.zeros(8)}
    assert mx.test_utils.check_speed(net, location=loc, N=2) > 0
    with pytest.raises(ValueError, match="typ must be 'whole' or 'forward'"):
        mx.test_utils.check_speed(net, N=1, typ='backward', data=(4, 6))


def test_environment_probes(monkeypatch):
    assert mx.test_utils.is_op_runnable() is True
    assert mx.test_utils.has_tvm_ops() is False
    monkeypatch.setenv('CD_JOB', '1')
    assert mx.test_utils.is_cd_run() is True
    monkeypatch.delenv('CD_JOB')
    assert mx.test_utils.is_cd_run() is False
    assert isinstance(mx.test_utils.is_aarch64_run(), bool)
    with pytest.raises(MXNetError, match='mxlite has no Gluon'):
        mx.test_utils.check_gluon_hybridize_consistency(lambda: None, [])


def test_get_im2rec_path(monkeypatch, tmp_path):
    monkeypatch.delenv('MXNET_HOME', raising=False)
    with pytest.raises(OSError, match='mxlite ships no im2rec tool'):
        mx.test_utils.get_im2rec_path()
    (tmp_path / 'tools').mkdir()
    (tmp_path / 'tools' / 'im2rec.py').write_text('')
    monkeypatch.setenv('MXNET_HOME', str(tmp_path))
    assert mx.test_utils.get_im2rec_path() == str(tmp_path / 'tools' / 'im2rec.py')


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """cwd, HOME and MXLITE_DATA_DIR in tmp_path; every fixed URL a missing local file."""
    work = tmp_path / 'work'
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    monkeypatch.setenv('MXLITE_DATA_DIR', str(tmp_path / 'cache'))
    gone = (tmp_path / 'nowhere').as_uri() + '/'
    for attr, name in [('MNIST_ZIP_URL', 'mnist.zip'), ('MNIST_PKL_URL', 'mnist.pkl.gz'),
                       ('CIFAR10_ZIP_URL', 'cifar10.zip')]:
        monkeypatch.setattr(tus, attr, gone + name)
    monkeypatch.setattr(tus, 'MODEL_BASE_URL', gone)
    monkeypatch.setattr(mnist, 'MNIST_MIRRORS', (gone + 'mirror/',))
    return tmp_path


@pytest.mark.parametrize('fn,url_attr', [('get_mnist_ubyte', 'MNIST_ZIP_URL'),
                                         ('get_mnist_pkl', 'MNIST_PKL_URL'),
                                         ('get_cifar10', 'CIFAR10_ZIP_URL')])
def test_dataset_helpers_fail_clearly_offline(offline, fn, url_attr):
    url = getattr(tus, url_attr)
    with pytest.raises(MXNetError, match='could not download .* from ' + url):
        getattr(mx.test_utils, fn)()
    if fn == 'get_mnist_ubyte':
        with pytest.raises(MXNetError, match='MNIST mirrors failed too: .*nowhere/mirror/'):
            mx.test_utils.get_mnist_ubyte()
    assert not [p for p in os.listdir('data') if p.endswith('.part')]


def test_download_model(offline):
    assert mx.test_utils.download_model('no-such-model') == (None, 0)
    with pytest.raises(MXNetError, match='nowhere/imagenet/resnet/18-layers/resnet-18-symbol'):
        mx.test_utils.download_model('imagenet1k-resnet-18', dst_dir='models')
    src = offline / 'src'
    src.mkdir()
    mx.sym.var('x').save(str(src / 'm-symbol.json'))
    mx.nd.save(str(src / 'm-0007.params'), {'arg:w': mx.nd.ones((2,))})
    meta = {'tiny': {'symbol': (src / 'm-symbol.json').as_uri(),
                     'params': (src / 'm-0007.params').as_uri()}}
    prefix, epoch = mx.test_utils.download_model('tiny', dst_dir='models', meta_info=meta)
    assert (prefix, epoch) == (os.path.join('models', 'tiny'), 0)
    sym, args, _ = mx.model.load_checkpoint(prefix, 0)
    assert sym.list_arguments() == ['x'] and args['w'].asnumpy().tolist() == [1.0, 1.0]


def test_get_zip_and_bz2_data(offline):
    src = offline / 'src'
    src.mkdir()
    with zipfile.ZipFile(src / 'pack.zip', 'w') as zf:
        zf.writestr('inner/a.txt', 'hello')
    mx.test_utils.get_zip_data('zd', (src / 'pack.zip').as_uri(), 'pack.zip')
    assert pathlib.Path('zd/inner/a.txt').read_text() == 'hello'
    (src / 'd.bz2').write_bytes(bz2.compress(b'1 2:3\n' * 100))
    mx.test_utils.get_bz2_data('bd', 'd.txt', (src / 'd.bz2').as_uri(), 'd.bz2')
    assert pathlib.Path('bd/d.txt').read_bytes() == b'1 2:3\n' * 100
    assert not os.path.exists('bd/d.bz2')
    with pytest.raises(MXNetError, match='could not download .*missing.zip'):
        mx.test_utils.get_zip_data('zd2', (src / 'missing.zip').as_uri(), 'missing.zip')


def _write_idx(path, arr):
    header = bytes([0, 0, 8, arr.ndim]) + b''.join(int(d).to_bytes(4, 'big')
                                                    for d in arr.shape)
    with gzip.open(str(path) + '.gz', 'wb') as f:
        f.write(header + arr.astype(np.uint8).tobytes())


def test_mnist_ubyte_from_mxlite_cache_and_iterator(offline):
    cache = offline / 'cache' / 'mnist'
    cache.mkdir(parents=True)
    rng = np.random.RandomState(0)
    for img, lab, n in [('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 20),
                        ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', 10)]:
        _write_idx(cache / img, rng.randint(0, 256, size=(n, 28, 28)))
        _write_idx(cache / lab, rng.randint(0, 10, size=(n,)))
    train, val = mx.test_utils.get_mnist_iterator(5, (784,))
    assert sorted(os.listdir('data')) == sorted(tus._MNIST_UBYTE)
    batch = next(iter(train))
    assert batch.data[0].shape == (5, 784) and batch.label[0].shape == (5,)
    assert sum(1 for _ in val) == 2
    train3, _ = mx.test_utils.get_mnist_iterator(4, (1, 28, 28))
    assert next(iter(train3)).data[0].shape == (4, 1, 28, 28)
