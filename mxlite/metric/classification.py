"""Classification metrics: Accuracy, TopKAccuracy, F1, MCC and PCC."""
import math

import numpy

from .base import EvalMetric, _to_numpy, alias, check_label_shapes, register

__all__ = ['Accuracy', 'TopKAccuracy', 'F1', 'MCC', 'PCC']


def _add(metric, value, count):
    metric.sum_metric += value
    metric.global_sum_metric += value
    metric.num_inst += count
    metric.global_num_inst += count


@register
@alias('acc')
class Accuracy(EvalMetric):
    """Fraction of predictions equal to the labels.

    Predictions whose shape differs from the label's are class scores: their argmax
    along `axis` is the predicted class. Both sides are cast to int32 before comparing.

    Parameters
    ----------
    axis : int, default 1
        The class axis of the predictions.
    name : str, default 'accuracy'
    output_names, label_names : list of str, optional

    Examples
    --------
    >>> import mxlite as mx
    >>> acc = mx.metric.Accuracy()
    >>> acc.update([mx.nd.array([0, 1, 1])],
    ...            [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
    >>> name, value = acc.get()
    >>> name, float(value)
    ('accuracy', 0.6666666666666666)
    """

    def __init__(self, axis=1, name='accuracy', output_names=None, label_names=None):
        super(Accuracy, self).__init__(name, axis=axis, output_names=output_names,
                                       label_names=label_names, has_global_stats=True)
        self.axis = axis

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label = _to_numpy(label)
            pred = _to_numpy(pred)
            if pred.shape != label.shape:
                pred = numpy.argmax(pred, axis=self.axis)
            pred = pred.astype('int32').ravel()
            label = label.astype('int32').ravel()
            check_label_shapes(label, pred)
            _add(self, (pred == label).sum(), len(pred))


@register
@alias('top_k_accuracy', 'top_k_acc')
class TopKAccuracy(EvalMetric):
    """Fraction of samples whose label is among the `top_k` highest-scored classes.

    Parameters
    ----------
    top_k : int
        Must be greater than 1 (use Accuracy for 1). The name gets ``_<top_k>`` appended.
    name : str, default 'top_k_accuracy'
    output_names, label_names : list of str, optional

    Examples
    --------
    >>> import mxlite as mx
    >>> m = mx.metric.TopKAccuracy(top_k=2)
    >>> m.update([mx.nd.array([2, 0])],
    ...          [mx.nd.array([[0.1, 0.3, 0.6], [0.2, 0.5, 0.3]])])
    >>> name, value = m.get()
    >>> name, float(value)
    ('top_k_accuracy_2', 0.5)
    """

    def __init__(self, top_k=1, name='top_k_accuracy', output_names=None, label_names=None):
        super(TopKAccuracy, self).__init__(name, top_k=top_k, output_names=output_names,
                                           label_names=label_names, has_global_stats=True)
        self.top_k = top_k
        if not self.top_k > 1:
            raise ValueError('TopKAccuracy needs top_k > 1, got top_k=%r; use Accuracy for '
                             'top_k=1' % (top_k,))
        self.name += '_%d' % self.top_k

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            pred = _to_numpy(pred).astype('float32')
            if pred.ndim > 2:
                raise ValueError('TopKAccuracy: predictions must have at most 2 dimensions, '
                                 'got shape %s' % (pred.shape,))
            # argpartition (not argsort) as MXNet does: same choice among ties
            kth = -min(self.top_k, pred.shape[-1]) if pred.ndim else -1
            pred_label = numpy.argpartition(pred, kth)
            label = _to_numpy(label).astype('int32')
            check_label_shapes(label, pred_label)
            num_samples = pred_label.shape[0]
            if pred_label.ndim == 1:
                correct = (pred_label.ravel() == label.ravel()).sum()
            else:
                num_classes = pred_label.shape[1]
                top = pred_label[:, num_classes - min(num_classes, self.top_k):]
                correct = (top == label.reshape(-1, 1)).sum()
            _add(self, correct, num_samples)


class _BinaryClassificationMetrics:
    """Running true/false positive/negative counts, local and global."""

    _FIELDS = ('true_positives', 'false_negatives', 'false_positives', 'true_negatives')

    def __init__(self, owner='F1'):
        self.owner = owner
        self.reset_stats()

    def update_binary_stats(self, label, pred):
        pred = _to_numpy(pred)
        label = _to_numpy(label).astype('int32').ravel()
        if pred.ndim != 2:
            raise ValueError('%s: predictions must be (batch, 2) class scores, got shape %s'
                             % (self.owner, pred.shape))
        pred_label = numpy.argmax(pred, axis=1)
        check_label_shapes(label, pred)
        if len(numpy.unique(label)) > 2:
            raise ValueError('%s currently only supports binary classification.' % self.owner)
        pred_true = pred_label == 1
        label_true = label == 1
        counts = {'true_positives': (pred_true & label_true).sum(),
                  'false_positives': (pred_true & ~label_true).sum(),
                  'false_negatives': (~pred_true & label_true).sum(),
                  'true_negatives': (~pred_true & ~label_true).sum()}
        for field, value in counts.items():
            setattr(self, field, getattr(self, field) + value)
            setattr(self, 'global_' + field, getattr(self, 'global_' + field) + value)

    def _stats(self, use_global):
        prefix = 'global_' if use_global else ''
        return [getattr(self, prefix + f) for f in self._FIELDS]

    def _precision(self, use_global):
        tp, _, fp, _ = self._stats(use_global)
        return float(tp) / (tp + fp) if tp + fp > 0 else 0.

    def _recall(self, use_global):
        tp, fn, _, _ = self._stats(use_global)
        return float(tp) / (tp + fn) if tp + fn > 0 else 0.

    def _fscore(self, use_global):
        p, r = self._precision(use_global), self._recall(use_global)
        return 2 * p * r / (p + r) if p + r > 0 else 0.

    precision = property(lambda self: self._precision(False))
    global_precision = property(lambda self: self._precision(True))
    recall = property(lambda self: self._recall(False))
    global_recall = property(lambda self: self._recall(True))
    fscore = property(lambda self: self._fscore(False))
    global_fscore = property(lambda self: self._fscore(True))
    total_examples = property(lambda self: sum(self._stats(False)))
    global_total_examples = property(lambda self: sum(self._stats(True)))

    def matthewscc(self, use_global=False):
        """Matthews correlation coefficient of the counts (0 without samples)."""
        if not sum(self._stats(use_global)):
            return 0.
        tp, fn, fp, tn = (float(v) for v in self._stats(use_global))
        denom = 1.
        # a zero factor is left out, so a constant prediction scores 0, not nan
        for term in (tp + fp, tp + fn, tn + fp, tn + fn):
            if term != 0.:
                denom *= term
        return (tp * tn - fp * fn) / math.sqrt(denom)

    def local_reset_stats(self):
        for field in self._FIELDS:
            setattr(self, field, 0)

    def reset_stats(self):
        for field in self._FIELDS:
            setattr(self, field, 0)
            setattr(self, 'global_' + field, 0)


class _BinaryMetric(EvalMetric):
    """F1 and MCC: a score of the binary counts, per batch ('macro') or pooled ('micro')."""

    def __init__(self, name, output_names, label_names, average):
        if average not in ('macro', 'micro'):
            raise ValueError("%s: average must be 'macro' or 'micro', got %r"
                             % (type(self).__name__, average))
        self.average = average
        self.metrics = _BinaryClassificationMetrics(type(self).__name__)
        super(_BinaryMetric, self).__init__(name, output_names=output_names,
                                            label_names=label_names, average=average,
                                            has_global_stats=True)

    def _score(self, use_global):
        raise NotImplementedError

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            self.metrics.update_binary_stats(label, pred)
        if self.average == 'macro':
            self.sum_metric += self._score(False)
            self.global_sum_metric += self._score(True)
            self.num_inst += 1
            self.global_num_inst += 1
            self.metrics.reset_stats()
        else:
            self.sum_metric = self._score(False) * self.metrics.total_examples
            self.global_sum_metric = self._score(True) * self.metrics.global_total_examples
            self.num_inst = self.metrics.total_examples
            self.global_num_inst = self.metrics.global_total_examples

    def reset(self):
        self.sum_metric = 0.
        self.num_inst = 0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0
        self.metrics.reset_stats()

    def reset_local(self):
        self.sum_metric = 0.
        self.num_inst = 0
        self.metrics.local_reset_stats()


@register
class F1(_BinaryMetric):
    """F1 score of binary classification: ``2 * precision * recall / (precision + recall)``.

    Predictions are (batch, 2) class scores; class 1 is the positive class.

    Parameters
    ----------
    name : str, default 'f1'
    output_names, label_names : list of str, optional
    average : {'macro', 'micro'}, default 'macro'
        'macro' averages the F1 of each update; 'micro' computes F1 of all samples.

    Examples
    --------
    >>> import mxlite as mx
    >>> f1 = mx.metric.F1()
    >>> f1.update([mx.nd.array([0., 1., 1.])],
    ...           [mx.nd.array([[0.3, 0.7], [0., 1.], [0.4, 0.6]])])
    >>> name, value = f1.get()
    >>> name, float(value)
    ('f1', 0.8)
    """

    def __init__(self, name='f1', output_names=None, label_names=None, average='macro'):
        super(F1, self).__init__(name, output_names, label_names, average)

    def _score(self, use_global):
        return self.metrics.global_fscore if use_global else self.metrics.fscore


@register
class MCC(_BinaryMetric):
    """Matthews correlation coefficient of binary classification.

    Parameters
    ----------
    name : str, default 'mcc'
    output_names, label_names : list of str, optional
    average : {'macro', 'micro'}, default 'macro'

    Examples
    --------
    >>> import mxlite as mx
    >>> mcc = mx.metric.MCC()
    >>> mcc.update([mx.nd.array([0., 1., 1., 0.])],
    ...            [mx.nd.array([[0.3, 0.7], [0., 1.], [0.4, 0.6], [0.9, 0.1]])])
    >>> round(mcc.get()[1], 4)
    0.5774
    """

    def __init__(self, name='mcc', output_names=None, label_names=None, average='macro'):
        super(MCC, self).__init__(name, output_names, label_names, average)

    def _score(self, use_global):
        return self.metrics.matthewscc(use_global=use_global)


@register
class PCC(EvalMetric):
    """Multiclass Matthews correlation (Pearson correlation of the confusion matrix).

    Parameters
    ----------
    name : str, default 'pcc'
    output_names, label_names : list of str, optional
    has_global_stats : bool, default True

    Examples
    --------
    >>> import mxlite as mx
    >>> pcc = mx.metric.PCC()
    >>> pcc.update([mx.nd.array([0, 1, 2, 2])], [mx.nd.array([0, 1, 2, 1])])
    >>> round(float(pcc.get()[1]), 4)
    0.7
    """

    def __init__(self, name='pcc', output_names=None, label_names=None,
                 has_global_stats=True):
        self.k = 2
        super(PCC, self).__init__(name=name, output_names=output_names,
                                  label_names=label_names, has_global_stats=has_global_stats)

    def _grow(self, inc):
        self.lcm = numpy.pad(self.lcm, ((0, inc), (0, inc)), 'constant')
        self.gcm = numpy.pad(self.gcm, ((0, inc), (0, inc)), 'constant')
        self.k += inc

    @staticmethod
    def _calc_mcc(cmat):
        n = cmat.sum()
        x = cmat.sum(axis=1)
        y = cmat.sum(axis=0)
        cov_xx = numpy.sum(x * (n - x))
        cov_yy = numpy.sum(y * (n - y))
        if cov_xx == 0 or cov_yy == 0:
            return float('nan')
        cov_xy = numpy.sum(cmat.diagonal() * n - x * y)
        return cov_xy / (cov_xx * cov_yy) ** 0.5

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label = _to_numpy(label).astype('int32')
            pred = _to_numpy(pred)
            if pred.shape != label.shape:
                pred = pred.argmax(axis=1)
            else:
                pred = pred.astype('int32')
            pred, label = pred.ravel(), label.ravel()
            n = max(pred.max(), label.max())
            if n >= self.k:
                self._grow(int(n) + 1 - self.k)
            bcm = numpy.zeros((self.k, self.k))
            numpy.add.at(bcm, (pred, label), 1)
            self.lcm += bcm
            self.gcm += bcm
        self.num_inst += 1
        self.global_num_inst += 1

    @property
    def sum_metric(self):
        return self._calc_mcc(self.lcm) * self.num_inst

    @property
    def global_sum_metric(self):
        return self._calc_mcc(self.gcm) * self.global_num_inst

    def reset(self):
        self.global_num_inst = 0.
        self.gcm = numpy.zeros((self.k, self.k))
        self.reset_local()

    def reset_local(self):
        self.num_inst = 0.
        self.lcm = numpy.zeros((self.k, self.k))
