"""Regression and likelihood metrics: MAE, MSE, RMSE, PearsonCorrelation, CrossEntropy,
NegativeLogLikelihood, Perplexity, and the Loss family (Loss, Torch, Caffe)."""
import math

import numpy

from .base import EvalMetric, _py, _to_numpy, alias, check_label_shapes, register

__all__ = ['MAE', 'MSE', 'RMSE', 'PearsonCorrelation', 'CrossEntropy',
           'NegativeLogLikelihood', 'Perplexity', 'Loss', 'Torch', 'Caffe']


def _add(metric, value, count):
    metric.sum_metric += value
    metric.global_sum_metric += value
    metric.num_inst += count
    metric.global_num_inst += count


def _as_columns(label, pred):
    """MXNet's regression metrics turn 1-D arrays into (n, 1) columns before comparing."""
    label, pred = _to_numpy(label), _to_numpy(pred)
    if label.ndim == 1:
        label = label.reshape(label.shape[0], 1)
    if pred.ndim == 1:
        pred = pred.reshape(pred.shape[0], 1)
    try:
        numpy.broadcast_shapes(label.shape, pred.shape)
    except ValueError:
        raise ValueError('labels of shape %s and predictions of shape %s do not match'
                         % (label.shape, pred.shape)) from None
    return label, pred


class _BatchMeanMetric(EvalMetric):
    """A per-batch error, averaged over update calls (MXNet counts batches, not samples)."""

    def __init__(self, name, output_names, label_names):
        super(_BatchMeanMetric, self).__init__(name, output_names=output_names,
                                               label_names=label_names,
                                               has_global_stats=True)

    @staticmethod
    def _error(label, pred):
        raise NotImplementedError

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            _add(self, self._error(*_as_columns(label, pred)), 1)


@register
class MAE(_BatchMeanMetric):
    """Mean absolute error, averaged per update batch.

    Parameters
    ----------
    name : str, default 'mae'
    output_names, label_names : list of str, optional

    Examples
    --------
    >>> import mxlite as mx
    >>> m = mx.metric.MAE()
    >>> m.update([mx.nd.array([2.5, 0.0, 2, 8])], [mx.nd.array([3, -0.5, 2, 7])])
    >>> name, value = m.get()
    >>> name, float(value)
    ('mae', 0.5)
    """

    def __init__(self, name='mae', output_names=None, label_names=None):
        super(MAE, self).__init__(name, output_names, label_names)

    @staticmethod
    def _error(label, pred):
        return numpy.abs(label - pred).mean()


@register
class MSE(_BatchMeanMetric):
    """Mean squared error, averaged per update batch.

    Parameters
    ----------
    name : str, default 'mse'
    output_names, label_names : list of str, optional

    Examples
    --------
    >>> import mxlite as mx
    >>> m = mx.metric.MSE()
    >>> m.update([mx.nd.array([2.5, 0.0, 2, 8])], [mx.nd.array([3, -0.5, 2, 7])])
    >>> name, value = m.get()
    >>> name, float(value)
    ('mse', 0.375)
    """

    def __init__(self, name='mse', output_names=None, label_names=None):
        super(MSE, self).__init__(name, output_names, label_names)

    @staticmethod
    def _error(label, pred):
        return ((label - pred) ** 2.0).mean()


@register
class RMSE(_BatchMeanMetric):
    """Root mean squared error of each update batch, averaged over batches.

    Parameters
    ----------
    name : str, default 'rmse'
    output_names, label_names : list of str, optional

    Examples
    --------
    >>> import mxlite as mx
    >>> m = mx.metric.RMSE()
    >>> m.update([mx.nd.array([2.5, 0.0, 2, 8])], [mx.nd.array([3, -0.5, 2, 7])])
    >>> round(float(m.get()[1]), 6)
    0.612372
    """

    def __init__(self, name='rmse', output_names=None, label_names=None):
        super(RMSE, self).__init__(name, output_names, label_names)

    @staticmethod
    def _error(label, pred):
        return numpy.sqrt(((label - pred) ** 2.0).mean())


@register
@alias('pearsonr')
class PearsonCorrelation(EvalMetric):
    """Pearson correlation between predictions and labels (flattened).

    Parameters
    ----------
    name : str, default 'pearsonr'
    output_names, label_names : list of str, optional
    average : {'macro', 'micro'}, default 'macro'
        'macro' averages the correlation of each update; 'micro' computes the
        correlation of all samples seen (running sums, Welford's method).

    Examples
    --------
    >>> import mxlite as mx
    >>> m = mx.metric.PearsonCorrelation()
    >>> m.update([mx.nd.array([[1, 0], [0, 1], [0, 1]])],
    ...          [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
    >>> round(float(m.get()[1]), 6)
    0.421637
    """

    def __init__(self, name='pearsonr', output_names=None, label_names=None,
                 average='macro'):
        if average not in ('macro', 'micro'):
            raise ValueError("PearsonCorrelation: average must be 'macro' or 'micro', got %r"
                             % (average,))
        self.average = average
        super(PearsonCorrelation, self).__init__(name, output_names=output_names,
                                                 label_names=label_names,
                                                 has_global_stats=True)

    def reset_micro(self):
        self._sse_p = 0
        self._mean_p = 0
        self._sse_l = 0
        self._mean_l = 0
        self._pred_nums = 0
        self._label_nums = 0
        self._conv = 0

    def reset(self):
        super(PearsonCorrelation, self).reset()
        if self.average == 'micro':
            self.reset_micro()

    @staticmethod
    def update_variance(new_values, *aggregate):
        """Welford's update of (count, mean, sum of squared deviations)."""
        count, mean, m_2 = aggregate
        count += len(new_values)
        delta = new_values - mean
        mean += numpy.sum(delta / count)
        m_2 += numpy.sum(delta * (new_values - mean))
        return count, mean, m_2

    def update_cov(self, label, pred):
        self._conv = self._conv + numpy.sum((label - self._mean_l) * (pred - self._mean_p))

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            check_label_shapes(label, pred, False, True)
            label = _to_numpy(label).ravel().astype(numpy.float64)
            pred = _to_numpy(pred).ravel().astype(numpy.float64)
            if self.average == 'macro':
                _add(self, numpy.corrcoef(pred, label)[0, 1], 1)
            else:
                self.num_inst += 1
                self.global_num_inst += 1
                # co-moment update: label mean already updated, prediction mean not yet
                self._label_nums, self._mean_l, self._sse_l = self.update_variance(
                    label, self._label_nums, self._mean_l, self._sse_l)
                self.update_cov(label, pred)
                self._pred_nums, self._mean_p, self._sse_p = self.update_variance(
                    pred, self._pred_nums, self._mean_p, self._sse_p)

    def _micro(self):
        n = self._label_nums
        return self._conv / ((n - 1) * numpy.sqrt(self._sse_p / (n - 1))
                             * numpy.sqrt(self._sse_l / (n - 1)))

    def get(self):
        if self.num_inst == 0:
            return (self.name, float('nan'))
        if self.average == 'macro':
            return (self.name, _py(self.sum_metric / self.num_inst))
        return (self.name, _py(self._micro()))

    def get_global(self):
        if self.global_num_inst == 0:
            return (self.name, float('nan'))
        if self.average == 'macro':
            return (self.name, _py(self.global_sum_metric / self.global_num_inst))
        return (self.name, _py(self._micro()))


class _PickedLogMetric(EvalMetric):
    """Sum of -log(probability of the true class), per sample."""

    def __init__(self, eps, name, output_names, label_names):
        super(_PickedLogMetric, self).__init__(name, eps=eps, output_names=output_names,
                                               label_names=label_names,
                                               has_global_stats=True)
        self.eps = eps

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label = _to_numpy(label).ravel()
            pred = _to_numpy(pred)
            if pred.ndim != 2 or label.shape[0] != pred.shape[0]:
                raise ValueError('%s: predictions must be (batch, classes) with one label per '
                                 'row; got labels %s and predictions %s'
                                 % (type(self).__name__, label.shape, pred.shape))
            num = pred.shape[0]
            prob = pred[numpy.arange(num, dtype=numpy.int64), numpy.int64(label)]
            _add(self, (-numpy.log(prob + self.eps)).sum(), num)


@register
@alias('ce')
class CrossEntropy(_PickedLogMetric):
    """Cross entropy of predicted class probabilities, per sample.

    Parameters
    ----------
    eps : float, default 1e-12
        Added to each probability before the log.
    name : str, default 'cross-entropy'
    output_names, label_names : list of str, optional

    Examples
    --------
    >>> import mxlite as mx
    >>> ce = mx.metric.CrossEntropy()
    >>> ce.update([mx.nd.array([0, 1, 1])],
    ...           [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
    >>> round(float(ce.get()[1]), 6)
    0.571599
    """

    def __init__(self, eps=1e-12, name='cross-entropy', output_names=None, label_names=None):
        super(CrossEntropy, self).__init__(eps, name, output_names, label_names)


@register
@alias('nll_loss')
class NegativeLogLikelihood(_PickedLogMetric):
    """Negative log-likelihood of the true class, per sample.

    Parameters
    ----------
    eps : float, default 1e-12
    name : str, default 'nll-loss'
    output_names, label_names : list of str, optional

    Examples
    --------
    >>> import mxlite as mx
    >>> nll = mx.metric.NegativeLogLikelihood()
    >>> nll.update([mx.nd.array([0, 1, 1])],
    ...            [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
    >>> round(float(nll.get()[1]), 6)
    0.571599
    """

    def __init__(self, eps=1e-12, name='nll-loss', output_names=None, label_names=None):
        super(NegativeLogLikelihood, self).__init__(eps, name, output_names, label_names)


@register
class Perplexity(EvalMetric):
    """Perplexity: ``exp(mean(-log p(true class)))``, optionally ignoring a label.

    Parameters
    ----------
    ignore_label : int or None
        Label whose entries are left out of the count (required, as in MXNet; pass None
        to count everything).
    axis : int, default -1
        The class axis of the predictions.
    name : str, default 'perplexity'
    output_names, label_names : list of str, optional

    Examples
    --------
    >>> import mxlite as mx
    >>> perp = mx.metric.Perplexity(ignore_label=None)
    >>> perp.update([mx.nd.array([0, 1, 1])],
    ...             [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
    >>> round(perp.get()[1], 6)
    1.771098
    """

    def __init__(self, ignore_label, axis=-1, name='perplexity', output_names=None,
                 label_names=None):
        super(Perplexity, self).__init__(name, ignore_label=ignore_label,
                                         output_names=output_names, label_names=label_names,
                                         has_global_stats=True)
        self.ignore_label = ignore_label
        self.axis = axis

    def update(self, labels, preds):
        if len(labels) != len(preds):
            raise ValueError('Perplexity: %d labels but %d predictions'
                             % (len(labels), len(preds)))
        loss = 0.
        num = 0
        for label, pred in zip(labels, preds):
            label = _to_numpy(label)
            pred = _to_numpy(pred)
            if pred.ndim == 0 or label.size * pred.shape[self.axis] != pred.size:
                raise ValueError('Perplexity: shape mismatch: labels %s vs. predictions %s'
                                 % (label.shape, pred.shape))
            classes = pred.shape[self.axis]
            pred = numpy.moveaxis(pred, self.axis, -1).reshape(-1, classes)
            label = label.reshape(label.size)
            # MXNet's pick clips out-of-range indices (e.g. an ignored -1)
            index = numpy.clip(label.astype('int32'), 0, classes - 1)
            picked = pred[numpy.arange(pred.shape[0]), index]
            if self.ignore_label is not None:
                ignore = (label == self.ignore_label).astype(picked.dtype)
                num -= float(ignore.sum())
                picked = picked * (1 - ignore) + ignore
            loss -= float(numpy.log(numpy.maximum(picked.dtype.type(1e-10), picked)).sum())
            num += picked.size
        _add(self, loss, num)

    def get(self):
        if self.num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, math.exp(self.sum_metric / self.num_inst))

    def get_global(self):
        if self.global_num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, math.exp(self.global_sum_metric / self.global_num_inst))


@register
class Loss(EvalMetric):
    """Mean of the network's outputs, for networks whose outputs are losses.

    Labels are ignored.

    Parameters
    ----------
    name : str, default 'loss'
    output_names, label_names : list of str, optional

    Examples
    --------
    >>> import mxlite as mx
    >>> m = mx.metric.Loss()
    >>> m.update(None, [mx.nd.array([0.5, 1.5])])
    >>> m.get()
    ('loss', 1.0)
    """

    def __init__(self, name='loss', output_names=None, label_names=None):
        super(Loss, self).__init__(name, output_names=output_names, label_names=label_names,
                                   has_global_stats=True)

    def update(self, _, preds):
        if hasattr(preds, 'asnumpy') or isinstance(preds, numpy.ndarray):
            preds = [preds]
        for pred in preds:
            pred = _to_numpy(pred)
            _add(self, float(pred.sum()), pred.size)


@register
class Torch(Loss):
    """`Loss` under the name 'torch' (MXNet's dummy metric for torch criterions)."""

    def __init__(self, name='torch', output_names=None, label_names=None):
        super(Torch, self).__init__(name, output_names=output_names, label_names=label_names)


@register
class Caffe(Loss):
    """`Loss` under the name 'caffe' (MXNet's dummy metric for caffe losses)."""

    def __init__(self, name='caffe', output_names=None, label_names=None):
        super(Caffe, self).__init__(name, output_names=output_names, label_names=label_names)
