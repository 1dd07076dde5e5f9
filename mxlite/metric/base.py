"""EvalMetric, the metric registry and `create`, composite and custom metrics.

Every metric keeps two pairs of counters, as in MXNet 1.9.1: the local
``sum_metric / num_inst`` (cleared by `reset_local`, e.g. by Speedometer) and the global
``global_sum_metric / global_num_inst`` (cleared only by `reset`).
"""
import warnings
from collections import OrderedDict

import numpy

from ..base import did_you_mean, json_spec, numeric_types, string_types

__all__ = ['EvalMetric', 'CompositeEvalMetric', 'CustomMetric', 'CustomEvalMetric',
           'check_label_shapes', 'create', 'register', 'alias', 'np']

_REGISTRY = {}


def _is_array(x):
    return hasattr(x, 'asnumpy') or isinstance(x, numpy.ndarray)


def _to_numpy(x):
    """A NumPy view or copy of an NDArray / array-like (MXNet metrics call asnumpy)."""
    if hasattr(x, 'asnumpy'):
        return x.asnumpy()
    return numpy.asarray(x)


def check_label_shapes(labels, preds, wrap=False, shape=False):
    """Check that labels and predictions agree in count (or in shape).

    Parameters
    ----------
    labels, preds : list of NDArray, or NDArray
    wrap : bool, default False
        Wrap a single array into a one-element list (after the check).
    shape : bool, default False
        Compare ``.shape`` instead of ``len``.

    Returns
    -------
    (labels, preds)

    Raises
    ------
    ValueError
        When the counts (or shapes) differ.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.metric.check_label_shapes([1, 2], [3])
    Traceback (most recent call last):
    ...
    ValueError: Shape of labels 2 does not match shape of predictions 1
    """
    if not shape:
        label_shape, pred_shape = len(labels), len(preds)
    else:
        label_shape, pred_shape = labels.shape, preds.shape
    if label_shape != pred_shape:
        raise ValueError('Shape of labels {} does not match shape of predictions {}'
                         .format(label_shape, pred_shape))
    if wrap:
        if _is_array(labels):
            labels = [labels]
        if _is_array(preds):
            preds = [preds]
    return labels, preds


class EvalMetric:
    """Base class of evaluation metrics.

    Subclasses implement `update`, adding to ``sum_metric``/``num_inst`` and to the
    global counters; `get` reports ``sum_metric / num_inst``.

    Parameters
    ----------
    name : str
        Name shown in logs (``Train-<name>=...``).
    output_names : list of str, optional
        Outputs used by `update_dict` (all by default).
    label_names : list of str, optional
        Labels used by `update_dict` (all by default).
    **kwargs
        Saved by `get_config`; ``has_global_stats`` (default False) makes `get_global`
        use the global counters.

    Examples
    --------
    >>> import mxlite as mx
    >>> class Count(mx.metric.EvalMetric):
    ...     def __init__(self):
    ...         super().__init__('count')
    ...     def update(self, labels, preds):
    ...         self.sum_metric += len(labels)
    ...         self.num_inst += 1
    >>> m = Count()
    >>> m.update([1, 2], [3, 4])
    >>> m.get()
    ('count', 2.0)
    """

    def __init__(self, name, output_names=None, label_names=None, **kwargs):
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop('has_global_stats', False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self):
        return 'EvalMetric: {}'.format(dict(self.get_name_value()))

    def get_config(self):
        """A dict from which `create` rebuilds this metric."""
        config = self._kwargs.copy()
        config.update({'metric': type(self).__name__, 'name': self.name,
                       'output_names': self.output_names, 'label_names': self.label_names})
        return config

    def update_dict(self, label, pred):
        """Update from ``{name: array}`` dicts, picking `label_names` / `output_names`."""
        pred = _pick(pred, self.output_names, 'output')
        label = _pick(label, self.label_names, 'label')
        self.update(label, pred)

    def update(self, labels, preds):
        """Add a batch: lists of label and prediction arrays."""
        raise NotImplementedError()

    def reset(self):
        """Clear the local and the global counters."""
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self):
        """Clear the local counters only."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def get(self):
        """``(name, value)`` from the local counters; nan before any update.

        The value is a Python float where MXNet gives a NumPy scalar of the same value
        (so logs print alike on NumPy 1 and 2).
        """
        if self.num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, _py(self.sum_metric / self.num_inst))

    def get_global(self):
        """``(name, value)`` from the global counters (local ones without global stats)."""
        if self._has_global_stats:
            if self.global_num_inst == 0:
                return (self.name, float('nan'))
            return (self.name, _py(self.global_sum_metric / self.global_num_inst))
        return self.get()

    def get_name_value(self):
        """``[(name, value), ...]`` from `get`."""
        return _zip_name_value(*self.get())

    def get_global_name_value(self):
        """``[(name, value), ...]`` from `get_global`."""
        if self._has_global_stats:
            return _zip_name_value(*self.get_global())
        return self.get_name_value()


def _py(value):
    """A Python float for a NumPy scalar: values print the same on NumPy 1 and 2."""
    return float(value) if isinstance(value, numpy.generic) else value


def _zip_name_value(name, value):
    if not isinstance(name, list):
        name = [name]
    if not isinstance(value, list):
        value = [value]
    return list(zip(name, value))


def _pick(arrays, names, what):
    if names is None:
        return list(arrays.values())
    missing = [n for n in names if n not in arrays]
    if missing:
        raise KeyError('metric %s_names %s not found among %s' % (what, missing,
                                                                    list(arrays)))
    return [arrays[n] for n in names]


# ---------------------------------------------------------------------- registry
def register(klass, name=None):
    """Register an EvalMetric subclass for `create` under ``name`` (default: class name).

    Names are case-insensitive. Usable as a decorator.
    """
    if not (isinstance(klass, type) and issubclass(klass, EvalMetric)):
        raise TypeError('can only register subclasses of EvalMetric, got %r' % (klass,))
    key = (klass.__name__ if name is None else name).lower()
    if key in _REGISTRY and _REGISTRY[key] is not klass:
        warnings.warn('New metric %s.%s registered with name %s is overriding existing '
                      'metric %s.%s' % (klass.__module__, klass.__name__, key,
                                        _REGISTRY[key].__module__, _REGISTRY[key].__name__),
                      UserWarning, stacklevel=2)
    _REGISTRY[key] = klass
    return klass


def alias(*aliases):
    """Decorator registering a metric class under extra names."""
    def reg(klass):
        for name in aliases:
            register(klass, name)
        return klass
    return reg


def _create(*args, **kwargs):
    if args:
        name, args = args[0], args[1:]
    elif 'metric' in kwargs:
        name = kwargs.pop('metric')
    else:
        raise TypeError("create() needs a metric (a name, an EvalMetric, a list, a "
                        "callable or a config dict)")
    if isinstance(name, EvalMetric):
        if args or kwargs:
            raise ValueError('metric %r is already an instance; extra arguments %s %s are '
                             'not allowed' % (name.name, args, kwargs))
        return name
    if isinstance(name, dict):
        return _create(**name)
    if isinstance(name, type) and issubclass(name, EvalMetric):
        return name(*args, **kwargs)
    if not isinstance(name, string_types):
        raise TypeError('metric must be a string, an EvalMetric, a list or a callable; got %s'
                        % type(name).__name__)
    spec = json_spec(name, args, kwargs, 'metric spec')
    if spec is not None:
        return _create(*spec[0], **spec[1])
    key = name.lower()
    if key not in _REGISTRY:
        raise ValueError("unknown metric '%s'%s; registered metrics: %s"
                         % (name, did_you_mean(key, _REGISTRY), ', '.join(sorted(_REGISTRY))))
    return _REGISTRY[key](*args, **kwargs)


def create(metric, *args, **kwargs):
    """Make an evaluation metric from a name, a list, a function or an instance.

    Parameters
    ----------
    metric : str, EvalMetric, callable, list or dict
        A registered name or alias (``'acc'``, ``'top_k_accuracy'``, ``'ce'``, ...), an
        instance (returned as is), a function ``f(label, pred)`` (wrapped in
        `CustomMetric`), a list of any of these (a `CompositeEvalMetric`), or a config
        dict from `get_config`.
    *args, **kwargs
        Passed to the metric's constructor.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.metric.create('acc').name
    'accuracy'
    >>> mx.metric.create('top_k_accuracy', top_k=5).name
    'top_k_accuracy_5'
    >>> mx.metric.create(['acc', 'mse']).get()
    (['accuracy', 'mse'], [nan, nan])
    """
    if callable(metric) and not isinstance(metric, (EvalMetric, type)):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, list):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    return _create(metric, *args, **kwargs)


# ---------------------------------------------------------------------- composite
@register
@alias('composite')
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; `get` returns lists of names and values.

    Parameters
    ----------
    metrics : list of EvalMetric or names, optional
    name : str, default 'composite'
    output_names, label_names : list of str, optional

    Examples
    --------
    >>> import mxlite as mx
    >>> m = mx.metric.CompositeEvalMetric(['acc', 'ce'])
    >>> m.update([mx.nd.array([0, 1])], [mx.nd.array([[0.7, 0.3], [0.4, 0.6]])])
    >>> [(n, round(float(v), 4)) for n, v in m.get_name_value()]
    [('accuracy', 1.0), ('cross-entropy', 0.4338)]
    """

    def __init__(self, metrics=None, name='composite', output_names=None, label_names=None):
        super(CompositeEvalMetric, self).__init__(
            name, output_names=output_names, label_names=label_names, has_global_stats=True)
        self.metrics = [create(i) for i in (metrics or [])]

    def add(self, metric):
        """Add a child metric (anything `create` accepts)."""
        self.metrics.append(create(metric))

    def get_metric(self, index):
        """The child metric at `index`."""
        try:
            return self.metrics[index]
        except IndexError:
            # MXNet returns (instead of raising) this error; raising is the intent
            raise ValueError('Metric index {} is out of range 0 and {}'.format(
                index, len(self.metrics))) from None

    def update_dict(self, labels, preds):
        if self.label_names is not None:
            labels = OrderedDict(i for i in labels.items() if i[0] in self.label_names)
        if self.output_names is not None:
            preds = OrderedDict(i for i in preds.items() if i[0] in self.output_names)
        for metric in self.metrics:
            metric.update_dict(labels, preds)

    def update(self, labels, preds):
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self):
        for metric in getattr(self, 'metrics', ()):
            metric.reset()

    def reset_local(self):
        for metric in getattr(self, 'metrics', ()):
            metric.reset_local()

    def _collect(self, getter):
        names, values = [], []
        for metric in self.metrics:
            name, value = getter(metric)
            if isinstance(name, string_types):
                name = [name]
            if isinstance(value, numeric_types):
                value = [value]
            names.extend(name)
            values.extend(value)
        return (names, values)

    def get(self):
        return self._collect(lambda m: m.get())

    def get_global(self):
        return self._collect(lambda m: m.get_global())

    def get_config(self):
        config = super(CompositeEvalMetric, self).get_config()
        config.update({'metrics': [i.get_config() for i in self.metrics]})
        return config


# ---------------------------------------------------------------------- custom
@register
class CustomMetric(EvalMetric):
    """A metric from a function ``feval(label, pred)`` of NumPy arrays.

    `feval` returns a value (averaged over calls) or a ``(sum, count)`` pair.

    Parameters
    ----------
    feval : callable
    name : str, optional
        Defaults to the function's name (``custom(<lambda>)`` for a lambda).
    allow_extra_outputs : bool, default False
        Allow more predictions than labels (extra outputs are ignored).
    output_names, label_names : list of str, optional

    Examples
    --------
    >>> import numpy as np
    >>> import mxlite as mx
    >>> def mean_abs(label, pred):
    ...     return np.abs(label - pred).mean()
    >>> m = mx.metric.CustomMetric(mean_abs)
    >>> m.update([mx.nd.array([1, 2])], [mx.nd.array([1, 4])])
    >>> name, value = m.get()
    >>> name, float(value)
    ('mean_abs', 1.0)
    """

    def __init__(self, feval, name=None, allow_extra_outputs=False, output_names=None,
                 label_names=None):
        if name is None:
            name = feval.__name__
            if name.find('<') != -1:
                name = 'custom(%s)' % name
        super(CustomMetric, self).__init__(
            name, feval=feval, allow_extra_outputs=allow_extra_outputs,
            output_names=output_names, label_names=label_names, has_global_stats=True)
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels, preds):
        if not self._allow_extra_outputs:
            labels, preds = check_label_shapes(labels, preds, True)
        for pred, label in zip(preds, labels):
            reval = self._feval(_to_numpy(label), _to_numpy(pred))
            if isinstance(reval, tuple):
                sum_metric, num_inst = reval
            else:
                sum_metric, num_inst = reval, 1
            self.sum_metric += sum_metric
            self.global_sum_metric += sum_metric
            self.num_inst += num_inst
            self.global_num_inst += num_inst

    def get_config(self):
        raise NotImplementedError('CustomMetric cannot be serialized')


# the name the task list uses; MXNet's class is CustomMetric
CustomEvalMetric = CustomMetric


def np(numpy_feval, name=None, allow_extra_outputs=False):
    """A `CustomMetric` from a function of NumPy arrays ``f(label, pred)``.

    Parameters
    ----------
    numpy_feval : callable
    name : str, optional
    allow_extra_outputs : bool, default False

    Examples
    --------
    >>> import mxlite as mx
    >>> def err(label, pred):
    ...     return float((label != pred.argmax(axis=1)).mean())
    >>> m = mx.metric.np(err)
    >>> m.update([mx.nd.array([0, 1])], [mx.nd.array([[0.9, 0.1], [0.8, 0.2]])])
    >>> m.get()
    ('err', 0.5)
    """
    def feval(label, pred):
        return numpy_feval(label, pred)
    feval.__name__ = numpy_feval.__name__
    return CustomMetric(feval, name, allow_extra_outputs)
