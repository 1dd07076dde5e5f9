"""Iterators over iterators: ResizeIter (fixed epoch length) and PrefetchingIter (threads)."""
import threading

from ..base import MXNetError
from .base import DataBatch, DataDesc, DataIter

__all__ = ['ResizeIter', 'PrefetchingIter']


class _WholeBatchIter(DataIter):
    """Iterators whose `iter_next` stores a whole DataBatch in `current_batch`."""

    def getdata(self):
        return self.current_batch.data

    def getlabel(self):
        return self.current_batch.label

    def getindex(self):
        return self.current_batch.index

    def getpad(self):
        return self.current_batch.pad


class ResizeIter(_WholeBatchIter):
    """Make an epoch last exactly `size` batches, restarting the wrapped iterator as needed.

    Parameters
    ----------
    data_iter : DataIter
    size : int
        Batches per epoch.
    reset_internal : bool, default True
        Reset the wrapped iterator on `reset`; when False the next epoch continues where
        this one stopped.

    Examples
    --------
    >>> import numpy as np
    >>> import mxlite as mx
    >>> base = mx.io.NDArrayIter(np.zeros((10, 2)), batch_size=5)
    >>> len(list(mx.io.ResizeIter(base, 3)))
    3
    """

    def __init__(self, data_iter, size, reset_internal=True):
        super(ResizeIter, self).__init__()
        self.data_iter = data_iter
        self.size = size
        self.reset_internal = reset_internal
        self.cur = 0
        self.current_batch = None
        self.provide_data = data_iter.provide_data
        self.provide_label = data_iter.provide_label
        self.batch_size = data_iter.batch_size
        if hasattr(data_iter, 'default_bucket_key'):
            self.default_bucket_key = data_iter.default_bucket_key

    def reset(self):
        self.cur = 0
        if self.reset_internal:
            self.data_iter.reset()

    def iter_next(self):
        if self.cur == self.size:
            return False
        try:
            self.current_batch = self.data_iter.next()
        except StopIteration:
            self.data_iter.reset()
            self.current_batch = self.data_iter.next()
        self.cur += 1
        return True


class _Worker:
    """One wrapped iterator and the thread that reads its next batch ahead.

    The thread holds this object, not the PrefetchingIter, so an abandoned
    PrefetchingIter is collected and its threads told to stop.
    """

    def __init__(self, data_iter):
        self.iter = data_iter
        self.ready = threading.Event()   # next_batch holds the batch (or None / error)
        self.taken = threading.Event()   # the consumer wants another batch
        self.taken.set()
        self.alive = True
        self.next_batch = None
        self.error = None
        self.thread = threading.Thread(target=_prefetch_loop, args=(self,), daemon=True,
                                       name='PrefetchingIter')
        self.thread.start()


def _prefetch_loop(worker):
    while True:
        worker.taken.wait()
        if not worker.alive:
            return
        try:
            worker.next_batch = worker.iter.next()
        except StopIteration:
            worker.next_batch = None
        except BaseException as exc:  # handed to the consumer's thread
            worker.next_batch = None
            worker.error = exc
        worker.taken.clear()
        worker.ready.set()


class PrefetchingIter(_WholeBatchIter):
    """Read batches ahead in background threads; combine several iterators into one.

    Each wrapped iterator gets a thread that prepares its next batch while the current
    one is used. The batches of several iterators are joined (data lists concatenated,
    labels too); they must have the same number of batches and the same `pad`. An
    error raised by a wrapped iterator is raised again by `next`.

    Parameters
    ----------
    iters : DataIter or list of DataIter
    rename_data : list of dict, optional
        One ``{old name: new name}`` dict per iterator for its `provide_data`.
    rename_label : list of dict, optional
        The same for `provide_label`.

    Examples
    --------
    >>> import numpy as np
    >>> import mxlite as mx
    >>> base = mx.io.NDArrayIter(np.arange(8).reshape(4, 2), np.arange(4), batch_size=2)
    >>> it = mx.io.PrefetchingIter(base, rename_data=[{'data': 'x'}])
    >>> it.provide_data
    [DataDesc[x,(2, 2),<class 'numpy.float32'>,NCHW]]
    >>> [b.label[0].asnumpy().tolist() for b in it]
    [[0.0, 1.0], [2.0, 3.0]]
    """

    def __init__(self, iters, rename_data=None, rename_label=None):
        super(PrefetchingIter, self).__init__()
        if not isinstance(iters, list):
            iters = [iters]
        if not iters:
            raise ValueError('PrefetchingIter needs at least one iterator')
        for name, renames in (('rename_data', rename_data), ('rename_label', rename_label)):
            if renames is not None and len(renames) != len(iters):
                raise ValueError('PrefetchingIter: %s has %d dicts for %d iterators'
                                 % (name, len(renames), len(iters)))
        self.n_iter = len(iters)
        self.iters = iters
        self.rename_data = rename_data
        self.rename_label = rename_label
        self.batch_size = self.provide_data[0][1][0]
        self.current_batch = None
        self._workers = [_Worker(i) for i in iters]

    def __del__(self):
        self.close()

    def close(self):
        """Stop the background threads (also done when the iterator is collected)."""
        for worker in getattr(self, '_workers', ()):
            worker.alive = False
            worker.taken.set()

    @staticmethod
    def _renamed(descs_per_iter, renames):
        if renames is None:
            return sum(descs_per_iter, [])
        out = []
        for descs, rename in zip(descs_per_iter, renames):
            for d in descs:
                if isinstance(d, DataDesc):
                    out.append(DataDesc(rename.get(d.name, d.name), d.shape, d.dtype,
                                        d.layout))
                else:
                    out.append(DataDesc(rename.get(d[0], d[0]), *d[1:]))
        return out

    @property
    def provide_data(self):
        return self._renamed([i.provide_data for i in self.iters], self.rename_data)

    @property
    def provide_label(self):
        return self._renamed([i.provide_label for i in self.iters], self.rename_label)

    def _wait(self):
        for worker in self._workers:
            worker.ready.wait()

    def reset(self):
        self._wait()
        for worker in self._workers:
            worker.iter.reset()
            worker.error = None
        for worker in self._workers:
            worker.ready.clear()
            worker.taken.set()

    def iter_next(self):
        self._wait()
        for worker in self._workers:
            if worker.error is not None:
                error, worker.error = worker.error, None
                # keep the worker usable: a reset() may follow
                raise error
        batches = [w.next_batch for w in self._workers]
        if batches[0] is None:
            if any(b is not None for b in batches):
                raise MXNetError('PrefetchingIter: the wrapped iterators have different '
                                 'numbers of batches')
            return False
        if any(b is None for b in batches):
            raise MXNetError('PrefetchingIter: the wrapped iterators have different numbers '
                             'of batches')
        if any(b.pad != batches[0].pad for b in batches):
            raise MXNetError('PrefetchingIter: the wrapped iterators give different pad '
                             'counts (%s)' % [b.pad for b in batches])
        self.current_batch = DataBatch(sum([list(b.data) for b in batches], []),
                                       sum([list(b.label or []) for b in batches], []),
                                       batches[0].pad, batches[0].index,
                                       provide_data=self.provide_data,
                                       provide_label=self.provide_label)
        for worker in self._workers:
            worker.ready.clear()
            worker.taken.set()
        return True

    def next(self):
        if self.iter_next():
            return self.current_batch
        raise StopIteration
