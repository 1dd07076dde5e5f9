"""`mx.mon.Monitor`: statistics of outputs, weights and gradients while training.

A Monitor installs a callback on executors. Between `tic` (before a batch) and `toc`
(after it), every `interval`-th batch, it records ``stat_func`` of each value the
executors compute whose name matches `pattern`: operator outputs (``fc1_output``),
gradients computed in backward (``fc1_backward_1``), with ``monitor_all`` also every
operator input (``fc1_data`` and variables by their own name); `toc` then adds the
arguments and aux states themselves. The record and log formats are MXNet 1.9.1's.
"""
import logging
import math
import re

from .ndarray.ndarray import NDArray

__all__ = ['Monitor']


def _default_stat(x):
    """norm(x) / sqrt(x.size): the root mean square of the array."""
    from . import ndarray
    return ndarray.norm(x) / math.sqrt(x.size)


class Monitor:
    """Collect statistics of the arrays executors compute, every `interval` batches.

    Parameters
    ----------
    interval : int
        Collect on batches 1, 1 + interval, 1 + 2 * interval, ... (counted by `tic`).
    stat_func : callable, optional
        NDArray -> NDArray (or a list of NDArrays). The default is
        ``norm(x) / sqrt(x.size)``.
    pattern : str
        Regular expression; only names it matches (``re.match``, so at the start) are
        recorded. ``'.*weight|.*output'`` records weights and outputs,
        ``'.*backward.*'`` gradients.
    sort : bool
        Sort each batch's records by name in `toc`.
    monitor_all : bool
        Also record the inputs of every operator, not only its outputs.

    Examples
    --------
    >>> import mxlite as mx
    >>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2, name='fc')
    >>> ex = net.simple_bind(mx.cpu(), data=(1, 3))
    >>> mon = mx.mon.Monitor(1, pattern='fc_output')
    >>> mon.install(ex)
    >>> mon.tic(); _ = ex.forward(); mon.toc()
    [(1, 'fc_output', '0.0\\t')]
    """

    def __init__(self, interval, stat_func=None, pattern='.*', sort=False, monitor_all=False):
        self.stat_func = _default_stat if stat_func is None else stat_func
        self.interval = interval
        self.activated = False
        self.queue = []
        self.step = 0
        self.exes = []
        self.re_prog = re.compile(pattern)
        self.sort = sort
        self.monitor_all = monitor_all

        def stat_helper(name, array):
            # the executor's callback: record while a collecting batch is under way
            if not self.activated or not self.re_prog.match(name):
                return
            self.queue.append((self.step, name, self.stat_func(array)))
        self.stat_helper = stat_helper

    def install(self, exe):
        """Install the callback on an executor (several executors may share a monitor).

        Parameters
        ----------
        exe : Executor
            As returned by `Symbol.bind` / `simple_bind`; `Module.install_monitor` calls
            this for each of its executors.

        Examples
        --------
        >>> import mxlite as mx
        >>> ex = mx.sym.relu(mx.sym.var('x'), name='r').simple_bind(mx.cpu(), x=(2,))
        >>> mx.mon.Monitor(10).install(ex)
        """
        exe.set_monitor_callback(self.stat_helper, self.monitor_all)
        self.exes.append(exe)

    def tic(self):
        """Start a batch: call before forward. Collects when the batch is due.

        Examples
        --------
        >>> import mxlite as mx
        >>> mon = mx.mon.Monitor(2)
        >>> mon.tic(); mon.activated, mon.step
        (True, 1)
        """
        if self.step % self.interval == 0:
            self.queue = []
            self.activated = True
        self.step += 1

    def toc(self):
        """End the batch: call after backward/update. Returns what was collected.

        Returns
        -------
        list of (int, str, str)
            ``(step, name, text)`` where text is each statistic followed by a tab
            (a scalar for shape-(1,) results, else the printed array). Empty when the
            batch was not collected.

        Examples
        --------
        >>> import mxlite as mx
        >>> ex = mx.sym.relu(mx.sym.var('x'), name='r').simple_bind(mx.cpu(), x=(4,))
        >>> mon = mx.mon.Monitor(1, pattern='x')
        >>> mon.install(ex)
        >>> ex.arg_dict['x'][:] = 2
        >>> mon.tic(); _ = ex.forward(); mon.toc()
        [(1, 'x', '2.0\\t')]
        """
        if not self.activated:
            return []
        for exe in self.exes:
            for name, array in zip(exe._symbol.list_arguments(), exe.arg_arrays):
                if self.re_prog.match(name):
                    self.queue.append((self.step, name, self.stat_func(array)))
            for name, array in zip(exe._symbol.list_auxiliary_states(), exe.aux_arrays):
                if self.re_prog.match(name):
                    self.queue.append((self.step, name, self.stat_func(array)))
        self.activated = False
        if self.sort:
            self.queue.sort(key=lambda item: item[1])
        res = []
        for step, name, values in self.queue:
            if isinstance(values, NDArray):
                values = [values]
            if not isinstance(values, list):
                raise TypeError("Monitor: stat_func must return an NDArray or a list of "
                                "NDArrays, got %s for '%s'" % (type(values).__name__, name))
            text = ''
            for v in values:
                if not isinstance(v, NDArray):
                    raise TypeError("Monitor: stat_func returned a %s for '%s'; expected "
                                    "NDArray" % (type(v).__name__, name))
                text += (str(v.asscalar()) if v.shape == (1,) else str(v.asnumpy())) + '\t'
            res.append((step, name, text))
        self.queue = []
        return res

    def toc_print(self):
        """`toc`, logged at INFO level: one ``Batch: {step:7d} {name:30s} {text}`` line each.

        Examples
        --------
        >>> import logging, mxlite as mx
        >>> ex = mx.sym.relu(mx.sym.var('x'), name='r').simple_bind(mx.cpu(), x=(4,))
        >>> mon = mx.mon.Monitor(1); mon.install(ex)
        >>> mon.tic(); _ = ex.forward(); mon.toc_print()   # logs 'Batch:       1 ...'
        """
        for step, name, text in self.toc():
            logging.info('Batch: {:7d} {:30s} {:s}'.format(step, name, text))
