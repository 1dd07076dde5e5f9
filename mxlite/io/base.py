"""The data-iterator protocol: DataDesc, DataBatch and the DataIter base class.

A `DataIter` yields `DataBatch` objects (lists of NDArrays plus how many samples at the
end are padding) and describes its inputs with `provide_data` / `provide_label`, lists
of `DataDesc` that `Module.bind` uses to allocate executors.
"""
from collections import namedtuple

import numpy as np

__all__ = ['DataDesc', 'DataBatch', 'DataIter']


class DataDesc(namedtuple('DataDesc', ['name', 'shape'])):
    """Name, shape, dtype and layout of one input of a data iterator.

    A 2-tuple ``(name, shape)`` for every purpose that unpacks or compares it (as in
    MXNet), with `dtype` and `layout` as extra attributes.

    Parameters
    ----------
    name : str
        The input's name, matching a variable of the network (``'data'``).
    shape : tuple of int
        Its shape, batch axis included.
    dtype : numpy type, default numpy.float32
    layout : str, default 'NCHW'
        Letters naming the axes; ``'N'`` marks the batch axis.

    Examples
    --------
    >>> import mxlite as mx
    >>> d = mx.io.DataDesc('data', (32, 3, 8, 8))
    >>> name, shape = d
    >>> d
    DataDesc[data,(32, 3, 8, 8),<class 'numpy.float32'>,NCHW]
    >>> mx.io.DataDesc.get_batch_axis('TNC')
    1
    """

    def __new__(cls, name, shape, dtype=np.float32, layout='NCHW'):
        desc = super(DataDesc, cls).__new__(cls, name, shape)
        desc.dtype = dtype
        desc.layout = layout
        return desc

    def __repr__(self):
        return 'DataDesc[%s,%s,%s,%s]' % (self.name, self.shape, self.dtype, self.layout)

    def __getnewargs__(self):
        # keeps dtype/layout through copy and pickle
        return (self.name, self.shape, self.dtype, self.layout)

    @staticmethod
    def get_batch_axis(layout):
        """The index of ``'N'`` in `layout` (0 when layout is None, -1 when it has no N)."""
        if layout is None:
            return 0
        return layout.find('N')

    @staticmethod
    def get_list(shapes, types):
        """DataDesc objects from ``[(name, shape)]`` and optional ``[(name, dtype)]``."""
        if types is not None:
            type_dict = dict(types)
            return [DataDesc(x[0], x[1], type_dict[x[0]]) for x in shapes]
        return [DataDesc(x[0], x[1]) for x in shapes]


class DataBatch:
    """One mini-batch: lists of data and label NDArrays and what describes them.

    Parameters
    ----------
    data : list of NDArray
    label : list of NDArray, optional
    pad : int, optional
        How many samples at the end of the batch are padding (not real data).
    index : numpy.ndarray, optional
        Indices of the samples in the dataset.
    bucket_key : optional
        The bucket of a bucketing iterator.
    provide_data, provide_label : list of DataDesc, optional
        Descriptions of this batch's arrays when they differ from the iterator's.

    Examples
    --------
    >>> import mxlite as mx
    >>> batch = mx.io.DataBatch([mx.nd.ones((2, 3))], [mx.nd.zeros((2,))], pad=0)
    >>> print(batch)
    DataBatch: data shapes: [(2, 3)] label shapes: [(2,)]
    """

    def __init__(self, data, label=None, pad=None, index=None, bucket_key=None,
                 provide_data=None, provide_label=None):
        if data is not None and not isinstance(data, (list, tuple)):
            raise TypeError('DataBatch: data must be a list of NDArrays, got %s'
                            % type(data).__name__)
        if label is not None and not isinstance(label, (list, tuple)):
            raise TypeError('DataBatch: label must be a list of NDArrays, got %s'
                            % type(label).__name__)
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self):
        data_shapes = [d.shape for d in self.data]
        label_shapes = [lab.shape for lab in self.label] if self.label else None
        return '%s: data shapes: %s label shapes: %s' % (type(self).__name__, data_shapes,
                                                         label_shapes)


class DataIter:
    """Base class of data iterators: the Python iterator protocol over `DataBatch`.

    Subclasses implement `iter_next` (advance; False at the end), `getdata`,
    `getlabel`, `getpad` (and optionally `getindex`) and `reset`, or override `next`.

    Parameters
    ----------
    batch_size : int, default 0

    Examples
    --------
    >>> import mxlite as mx
    >>> class Count(mx.io.DataIter):
    ...     def __init__(self):
    ...         super().__init__(batch_size=1)
    ...         self.i = 0
    ...     def reset(self):
    ...         self.i = 0
    ...     def iter_next(self):
    ...         self.i += 1
    ...         return self.i <= 3
    ...     def getdata(self):
    ...         return [mx.nd.array([self.i])]
    ...     def getlabel(self):
    ...         return []
    ...     def getpad(self):
    ...         return 0
    >>> [float(b.data[0].asscalar()) for b in Count()]
    [1.0, 2.0, 3.0]
    """

    def __init__(self, batch_size=0):
        self.batch_size = batch_size

    def __iter__(self):
        return self

    def reset(self):
        """Go back to the first batch."""

    def next(self):
        """The next DataBatch; raises StopIteration at the end of the epoch."""
        if self.iter_next():
            return DataBatch(data=self.getdata(), label=self.getlabel(),
                             pad=self.getpad(), index=self.getindex())
        raise StopIteration

    def __next__(self):
        return self.next()

    def iter_next(self):
        """Advance to the next batch; False when there is none."""

    def getdata(self):
        """The current batch's data (list of NDArray)."""

    def getlabel(self):
        """The current batch's labels (list of NDArray)."""

    def getindex(self):
        """The current batch's sample indices, or None."""
        return None

    def getpad(self):
        """How many samples at the end of the current batch are padding."""
