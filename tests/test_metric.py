"""mx.metric: values against NumPy formulas, MXNet's names and counters, errors.

One table of (metric, batches of labels/predictions, NumPy reference) drives the value
checks; local/global counters, configs, composites and errors have their own tables.
"""
import math

import numpy as np
import pytest

import mxlite as mx

RNG = np.random.RandomState(42)


def _probs(n, c):
    x = RNG.rand(n, c).astype('float32') + 0.05
    return x / x.sum(axis=1, keepdims=True)


def _labels(n, c):
    return RNG.randint(0, c, size=n).astype('float32')


# ---------------------------------------------------------------------- references
def ref_accuracy(batches):
    correct = total = 0
    for label, pred in batches:
        p = pred.argmax(axis=1) if pred.shape != label.shape else pred
        correct += (p.astype('int32').ravel() == label.astype('int32').ravel()).sum()
        total += label.size
    return correct / total


def ref_topk(k):
    def ref(batches):
        correct = total = 0
        for label, pred in batches:
            top = np.argsort(-pred, axis=1, kind='stable')[:, :k]
            correct += (top == label.astype('int64')[:, None]).any(axis=1).sum()
            total += label.shape[0]
        return correct / total
    return ref


def _binary_counts(label, pred):
    p = pred.argmax(axis=1)
    y = label.astype(int)
    return (((p == 1) & (y == 1)).sum(), ((p == 1) & (y == 0)).sum(),
            ((p == 0) & (y == 1)).sum(), ((p == 0) & (y == 0)).sum())


def _f1(tp, fp, fn):
    prec = tp / (tp + fp) if tp + fp else 0.
    rec = tp / (tp + fn) if tp + fn else 0.
    return 2 * prec * rec / (prec + rec) if prec + rec else 0.


def _mcc(tp, fp, fn, tn):
    terms = [t for t in (tp + fp, tp + fn, tn + fp, tn + fn) if t]
    return (tp * tn - fp * fn) / math.sqrt(np.prod(np.array(terms, dtype=float)))


def ref_f1_macro(batches):
    return np.mean([_f1(*_binary_counts(lab, p)[:3]) for lab, p in batches])


def ref_f1_micro(batches):
    tp, fp, fn, _ = np.sum([_binary_counts(lab, p) for lab, p in batches], axis=0)
    return _f1(tp, fp, fn)


def ref_mcc_macro(batches):
    return np.mean([_mcc(*_binary_counts(lab, p)) for lab, p in batches])


def ref_mcc_micro(batches):
    return _mcc(*np.sum([_binary_counts(lab, p) for lab, p in batches], axis=0))


def _per_batch(fn):
    return lambda batches: np.mean([fn(_col(lab), _col(p)) for lab, p in batches])


def _col(x):
    return x.reshape(-1, 1) if x.ndim == 1 else x


def _picked(batches):
    return np.concatenate([p[np.arange(len(lab)), lab.astype(int)] for lab, p in batches])


def ref_ce(batches):
    return -np.log(_picked(batches).astype('float64') + 1e-12).mean()


def ref_perplexity(ignore):
    def ref(batches):
        logs, count = 0., 0
        for lab, p in batches:
            keep = lab != ignore if ignore is not None else np.ones(len(lab), bool)
            picked = p[np.arange(len(lab)), np.clip(lab.astype(int), 0, p.shape[1] - 1)]
            logs += -np.log(np.maximum(picked[keep], 1e-10)).sum()
            count += keep.sum()
        return math.exp(logs / count)
    return ref


def ref_pearson_macro(batches):
    return np.mean([np.corrcoef(p.ravel(), lab.ravel())[0, 1] for lab, p in batches])


def ref_pearson_micro(batches):
    lab = np.concatenate([b[0].ravel() for b in batches])
    p = np.concatenate([b[1].ravel() for b in batches])
    return np.corrcoef(p, lab)[0, 1]


def ref_loss(batches):
    return np.concatenate([p.ravel() for _, p in batches]).mean()


def ref_pcc(batches):
    k = 4
    cm = np.zeros((k, k))
    for lab, p in batches:
        np.add.at(cm, (p.argmax(axis=1), lab.astype(int)), 1)
    n, x, y = cm.sum(), cm.sum(axis=1), cm.sum(axis=0)
    return np.sum(np.diag(cm) * n - x * y) / math.sqrt(np.sum(x * (n - x)) * np.sum(y * (n - y)))


# ---------------------------------------------------------------------- value table
def _cls(n=12, c=4, nb=3):
    return [(_labels(n, c), _probs(n, c)) for _ in range(nb)]


def _binary(n=16, nb=3):
    return [(_labels(n, 2), _probs(n, 2)) for _ in range(nb)]


def _regr(shape_l, shape_p, nb=3):
    return [(RNG.randn(*shape_l).astype('float32'), RNG.randn(*shape_p).astype('float32'))
            for _ in range(nb)]


def _with_ignored(batches, value=-1):
    out = []
    for lab, p in batches:
        lab = lab.copy()
        lab[::3] = value
        out.append((lab, p))
    return out


VALUE_CASES = [
    ('acc', lambda: mx.metric.Accuracy(), _cls(), ref_accuracy),
    ('acc-same-shape', lambda: mx.metric.Accuracy(),
     [(_labels(10, 3), _labels(10, 3)) for _ in range(2)], ref_accuracy),
    ('acc-axis0', lambda: mx.metric.Accuracy(axis=0),
     [(lab, p.T.copy()) for lab, p in _cls()],
     lambda b: ref_accuracy([(lab, p.T) for lab, p in b])),
    ('top3', lambda: mx.metric.TopKAccuracy(top_k=3), _cls(20, 6), ref_topk(3)),
    ('top5-of-4', lambda: mx.metric.TopKAccuracy(top_k=5), _cls(8, 4), ref_topk(4)),
    ('f1-macro', lambda: mx.metric.F1(), _binary(), ref_f1_macro),
    ('f1-micro', lambda: mx.metric.F1(average='micro'), _binary(), ref_f1_micro),
    ('mcc-macro', lambda: mx.metric.MCC(), _binary(), ref_mcc_macro),
    ('mcc-micro', lambda: mx.metric.MCC(average='micro'), _binary(), ref_mcc_micro),
    ('mae', lambda: mx.metric.MAE(), _regr((6,), (6,)),
     _per_batch(lambda a, b: np.abs(a - b).mean())),
    ('mae-col', lambda: mx.metric.MAE(), _regr((6,), (6, 1)),
     _per_batch(lambda a, b: np.abs(a - b).mean())),
    ('mse', lambda: mx.metric.MSE(), _regr((5, 3), (5, 3)),
     _per_batch(lambda a, b: ((a - b) ** 2).mean())),
    ('rmse', lambda: mx.metric.RMSE(), _regr((7,), (7,)),
     _per_batch(lambda a, b: np.sqrt(((a - b) ** 2).mean()))),
    ('ce', lambda: mx.metric.CrossEntropy(), _cls(), ref_ce),
    ('nll', lambda: mx.metric.NegativeLogLikelihood(), _cls(), ref_ce),
    ('ppl', lambda: mx.metric.Perplexity(ignore_label=None), _cls(), ref_perplexity(None)),
    ('ppl-ignore', lambda: mx.metric.Perplexity(ignore_label=-1), _with_ignored(_cls()),
     ref_perplexity(-1)),
    ('pearson-macro', lambda: mx.metric.PearsonCorrelation(), _regr((9,), (9,)),
     ref_pearson_macro),
    ('pearson-micro', lambda: mx.metric.PearsonCorrelation(average='micro'),
     _regr((4, 3), (4, 3)), ref_pearson_micro),
    ('loss', lambda: mx.metric.Loss(), _regr((4,), (4, 2)), ref_loss),
    ('pcc', lambda: mx.metric.PCC(), _cls(), ref_pcc),
]


@pytest.mark.parametrize('case', VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
@pytest.mark.parametrize('as_numpy', [False, True], ids=['nd', 'np'])
def test_metric_values(case, as_numpy):
    _, make, batches, ref = case
    metric = make()
    wrap = (lambda x: x) if as_numpy else mx.nd.array
    for label, pred in batches:
        metric.update([wrap(label)], [wrap(pred)])
    name, value = metric.get()
    assert name == metric.name
    np.testing.assert_allclose(float(value), ref(batches), rtol=1e-5, atol=1e-6)
    # the global counters saw the same batches
    np.testing.assert_allclose(float(metric.get_global()[1]), ref(batches), rtol=1e-5,
                               atol=1e-6)


# ---------------------------------------------------------------------- MXNet's examples
def test_mxnet_documented_numbers():
    fp, tn, fn, tp = 1000, 1, 1, 10000
    preds = [mx.nd.array([[.3, .7]] * fp + [[.7, .3]] * tn + [[.7, .3]] * fn
                         + [[.3, .7]] * tp)]
    labels = [mx.nd.array([0.] * (fp + tn) + [1.] * (fn + tp))]
    f1, mcc = mx.metric.F1(), mx.metric.MCC()
    f1.update(preds=preds, labels=labels)
    mcc.update(preds=preds, labels=labels)
    assert f1.get()[1] == pytest.approx(0.95233560306652054)
    assert mcc.get()[1] == pytest.approx(0.01917751877733392)

    np.random.seed(999)
    topk = mx.metric.TopKAccuracy(top_k=3)
    topk.update([mx.nd.array([2, 6, 9, 2, 3, 4, 7, 8, 9, 6])],
                [mx.nd.array(np.random.rand(10, 10))])
    assert topk.get() == ('top_k_accuracy_3', pytest.approx(0.3))

    p = [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])]
    lab = [mx.nd.array([0, 1, 1])]
    expected = {'acc': 0.6666666666666666, 'ce': 0.57159948348999023,
                'nll_loss': 0.57159948348999023}
    for name, value in expected.items():
        m = mx.metric.create(name)
        m.update(lab, p)
        assert m.get()[1] == pytest.approx(value, rel=1e-6)
    perp = mx.metric.Perplexity(ignore_label=None)
    perp.update(lab, p)
    assert perp.get()[1] == pytest.approx(1.7710976285155853, rel=1e-6)
    pr = mx.metric.create('pearsonr')
    pr.update([mx.nd.array([[1, 0], [0, 1], [0, 1]])], p)
    assert pr.get()[1] == pytest.approx(0.42163704544016178, rel=1e-6)
    for cls, value in ((mx.metric.MAE, 0.5), (mx.metric.MSE, 0.375),
                       (mx.metric.RMSE, 0.612372457981)):
        m = cls()
        m.update([mx.nd.array([2.5, 0.0, 2, 8])], [mx.nd.array([3, -0.5, 2, 7])])
        assert m.get()[1] == pytest.approx(value, rel=1e-6)


# ---------------------------------------------------------------------- names, create
CREATE_CASES = [
    ('acc', {}, mx.metric.Accuracy, 'accuracy'),
    ('accuracy', {}, mx.metric.Accuracy, 'accuracy'),
    ('Accuracy', {}, mx.metric.Accuracy, 'accuracy'),
    ('top_k_accuracy', {'top_k': 5}, mx.metric.TopKAccuracy, 'top_k_accuracy_5'),
    ('top_k_acc', {'top_k': 2}, mx.metric.TopKAccuracy, 'top_k_accuracy_2'),
    ('topkaccuracy', {'top_k': 3}, mx.metric.TopKAccuracy, 'top_k_accuracy_3'),
    ('f1', {}, mx.metric.F1, 'f1'),
    ('mcc', {}, mx.metric.MCC, 'mcc'),
    ('pcc', {}, mx.metric.PCC, 'pcc'),
    ('perplexity', {'ignore_label': None}, mx.metric.Perplexity, 'perplexity'),
    ('mae', {}, mx.metric.MAE, 'mae'),
    ('mse', {}, mx.metric.MSE, 'mse'),
    ('rmse', {}, mx.metric.RMSE, 'rmse'),
    ('ce', {}, mx.metric.CrossEntropy, 'cross-entropy'),
    ('crossentropy', {}, mx.metric.CrossEntropy, 'cross-entropy'),
    ('nll_loss', {}, mx.metric.NegativeLogLikelihood, 'nll-loss'),
    ('negativeloglikelihood', {}, mx.metric.NegativeLogLikelihood, 'nll-loss'),
    ('pearsonr', {}, mx.metric.PearsonCorrelation, 'pearsonr'),
    ('pearsoncorrelation', {}, mx.metric.PearsonCorrelation, 'pearsonr'),
    ('loss', {}, mx.metric.Loss, 'loss'),
    ('torch', {}, mx.metric.Torch, 'torch'),
    ('caffe', {}, mx.metric.Caffe, 'caffe'),
    ('composite', {}, mx.metric.CompositeEvalMetric, 'composite'),
]


@pytest.mark.parametrize('name,kwargs,cls,display', CREATE_CASES,
                         ids=[c[0] for c in CREATE_CASES])
def test_create_names(name, kwargs, cls, display):
    metric = mx.metric.create(name, **kwargs)
    assert type(metric) is cls
    assert metric.name == display


def test_create_other_forms():
    acc = mx.metric.Accuracy()
    assert mx.metric.create(acc) is acc
    comp = mx.metric.create(['acc', 'mse'])
    assert isinstance(comp, mx.metric.CompositeEvalMetric)
    assert [m.name for m in comp.metrics] == ['accuracy', 'mse']

    def my_feval(label, pred):
        return 1.0
    custom = mx.metric.create(my_feval)
    assert isinstance(custom, mx.metric.CustomMetric) and custom.name == 'my_feval'
    assert mx.metric.create(lambda a, b: 0).name == 'custom(<lambda>)'
    assert mx.metric.create('["top_k_accuracy", {"top_k": 4}]').name == 'top_k_accuracy_4'
    assert mx.metric.create('{"metric": "acc", "axis": 0}').axis == 0
    assert isinstance(mx.metric.create(mx.metric.MSE), mx.metric.MSE)


def test_get_config_round_trip():
    for metric in [mx.metric.Accuracy(axis=0), mx.metric.TopKAccuracy(top_k=3),
                   mx.metric.CrossEntropy(eps=1e-8), mx.metric.F1(average='micro'),
                   mx.metric.create(['acc', 'mse'])]:
        config = metric.get_config()
        assert config['metric'] == type(metric).__name__
        again = mx.metric.create(config)
        assert type(again) is type(metric)
    assert mx.metric.Accuracy().get_config() == {
        'axis': 1, 'metric': 'Accuracy', 'name': 'accuracy', 'output_names': None,
        'label_names': None}
    assert mx.metric.create(mx.metric.F1(average='micro').get_config()).average == 'micro'
    with pytest.raises(NotImplementedError):
        mx.metric.np(lambda a, b: 0).get_config()


def test_register_custom_class():
    @mx.metric.register
    @mx.metric.alias('always_one')
    class AlwaysOne(mx.metric.EvalMetric):
        def __init__(self, name='always-one'):
            super().__init__(name)

        def update(self, labels, preds):
            self.sum_metric += 1
            self.num_inst += 1

    assert type(mx.metric.create('alwaysone')) is AlwaysOne
    assert type(mx.metric.create('always_one')) is AlwaysOne


# ---------------------------------------------------------------------- counters
def test_local_and_global_counters():
    acc = mx.metric.Accuracy()
    lab = mx.nd.array([0, 1, 1, 0])
    acc.update([lab], [mx.nd.array([0, 1, 1, 0])])        # 4/4
    acc.update([lab], [mx.nd.array([1, 0, 1, 0])])        # 2/4
    assert (acc.num_inst, acc.sum_metric) == (8, 6)
    acc.reset_local()
    assert acc.get() == ('accuracy', pytest.approx(float('nan'), nan_ok=True))
    assert acc.get_global() == ('accuracy', 0.75)
    acc.update([lab], [mx.nd.array([1, 1, 1, 1])])        # 2/4
    assert acc.get()[1] == 0.5
    assert acc.get_global()[1] == pytest.approx(8 / 12)
    assert (acc.global_num_inst, acc.global_sum_metric) == (12, 8)
    assert acc.get_name_value() == [('accuracy', 0.5)]
    assert acc.get_global_name_value() == [('accuracy', pytest.approx(8 / 12))]
    acc.reset()
    assert acc.global_num_inst == 0 and math.isnan(acc.get_global()[1])
    assert str(mx.metric.MSE()) == "EvalMetric: {'mse': nan}"


def test_f1_micro_local_global():
    f1 = mx.metric.F1(average='micro')
    batches = _binary(10, 3)
    for lab, p in batches[:2]:
        f1.update([mx.nd.array(lab)], [mx.nd.array(p)])
    f1.reset_local()
    f1.update([mx.nd.array(batches[2][0])], [mx.nd.array(batches[2][1])])
    assert f1.get()[1] == pytest.approx(ref_f1_micro(batches[2:]))
    assert f1.get_global()[1] == pytest.approx(ref_f1_micro(batches))


def test_perplexity_global_uses_exp():
    ppl = mx.metric.Perplexity(ignore_label=None)
    batches = _cls(6, 3, 2)
    for lab, p in batches:
        ppl.update([mx.nd.array(lab)], [mx.nd.array(p)])
    ppl.reset_local()
    assert math.isnan(ppl.get()[1])
    assert ppl.get_global()[1] == pytest.approx(ref_perplexity(None)(batches), rel=1e-5)


def test_composite_and_update_dict():
    comp = mx.metric.CompositeEvalMetric(['acc', mx.metric.MSE()])
    comp.add('ce')
    lab, p = _cls(8, 3, 1)[0]
    comp.update([mx.nd.array(lab)], [mx.nd.array(p)])
    names, values = comp.get()
    assert names == ['accuracy', 'mse', 'cross-entropy']
    assert values[0] == pytest.approx(ref_accuracy([(lab, p)]))
    assert values[2] == pytest.approx(ref_ce([(lab, p)]), rel=1e-5)
    assert comp.get_metric(1).name == 'mse'
    with pytest.raises(ValueError, match='out of range'):
        comp.get_metric(7)
    comp.reset_local()
    assert all(math.isnan(v) for v in comp.get()[1])
    assert comp.get_global()[1][0] == pytest.approx(values[0])

    acc = mx.metric.Accuracy(output_names=['out2'], label_names=['lab2'])
    good, bad = mx.nd.array([1, 1]), mx.nd.array([0, 0])
    acc.update_dict({'lab1': bad, 'lab2': good}, {'out1': bad, 'out2': good})
    assert acc.get()[1] == 1.0
    plain = mx.metric.Accuracy()
    plain.update_dict({'softmax_label': good}, {'softmax_output': mx.nd.array([[0, 1], [1, 0]])})
    assert plain.get()[1] == 0.5
    with pytest.raises(KeyError, match='out9'):
        mx.metric.Accuracy(output_names=['out9']).update_dict({'l': good}, {'o': good})


def test_custom_metric_forms():
    m = mx.metric.np(lambda label, pred: (float(np.sum(label == pred)), label.size),
                     name='matches')
    m.update([mx.nd.array([1, 2, 3])], [mx.nd.array([1, 0, 3])])
    assert m.get() == ('matches', pytest.approx(2 / 3))
    extra = mx.metric.CustomMetric(lambda label, pred: 1.0, allow_extra_outputs=True)
    extra.update([mx.nd.array([1])], [mx.nd.array([1]), mx.nd.array([2])])
    assert extra.num_inst == 1


# ---------------------------------------------------------------------- errors
ERROR_CASES = [
    ('unknown-name', lambda: mx.metric.create('acuracy'), ValueError,
     "unknown metric 'acuracy' \\(did you mean 'accuracy'\\?\\)"),
    ('count-mismatch', lambda: mx.metric.Accuracy().update(
        [mx.nd.array([1]), mx.nd.array([1])], [mx.nd.array([1])]), ValueError,
     'Shape of labels 2 does not match shape of predictions 1'),
    ('sample-mismatch', lambda: mx.metric.Accuracy().update(
        [mx.nd.array([1, 0, 1])], [mx.nd.array([[0.1, 0.9], [0.8, 0.2]])]), ValueError,
     'Shape of labels 3 does not match shape of predictions 2'),
    ('topk-1', lambda: mx.metric.TopKAccuracy(), ValueError, 'top_k > 1'),
    ('topk-3d', lambda: mx.metric.TopKAccuracy(top_k=2).update(
        [mx.nd.zeros((2,))], [mx.nd.zeros((2, 3, 4))]), ValueError, 'at most 2'),
    ('f1-multiclass', lambda: mx.metric.F1().update(
        [mx.nd.array([0, 1, 2])], [mx.nd.ones((3, 3))]), ValueError,
     'F1 currently only supports binary'),
    ('f1-average', lambda: mx.metric.F1(average='weighted'), ValueError, 'macro'),
    ('ce-shape', lambda: mx.metric.CrossEntropy().update(
        [mx.nd.array([0, 1])], [mx.nd.ones((3, 2))]), ValueError, 'CrossEntropy'),
    ('ppl-shape', lambda: mx.metric.Perplexity(None).update(
        [mx.nd.array([0, 1])], [mx.nd.ones((3, 2))]), ValueError, 'shape mismatch'),
    ('ppl-needs-ignore', lambda: mx.metric.create('perplexity'), TypeError, 'ignore_label'),
    ('mse-shape', lambda: mx.metric.MSE().update(
        [mx.nd.ones((4, 3))], [mx.nd.ones((4, 2))]), ValueError, 'do not match'),
    ('pearson-shape', lambda: mx.metric.PearsonCorrelation().update(
        [mx.nd.ones((4,))], [mx.nd.ones((5,))]), ValueError, 'does not match'),
    ('bad-type', lambda: mx.metric.create(3), TypeError, 'metric must be'),
    ('instance-with-args', lambda: mx.metric.create(mx.metric.MSE(), 1), ValueError,
     'already an instance'),
]


@pytest.mark.parametrize('case', ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors(case):
    _, call, exc, pattern = case
    with pytest.raises(exc, match=pattern):
        call()
