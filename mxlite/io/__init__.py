"""mx.io: data iterators (MXNet 1.9.1's names and behaviour).

`NDArrayIter` batches in-memory arrays; `CSVIter`, `LibSVMIter`, `MNISTIter` and
`ImageRecordIter` (RecordIO image datasets; decoding needs Pillow or OpenCV) read files as
MXNet's native iterators do; `ResizeIter` and `PrefetchingIter` wrap other iterators.
"""
from .base import DataBatch, DataDesc, DataIter
from .csv_iter import CSVIter
from .image_record_iter import ImageRecordIter, ImageRecordUInt8Iter
from .libsvm_iter import LibSVMIter
from .mnist import MNISTIter, load_mnist_dict, read_idx
from .native import MXDataIter
from .ndarray_iter import NDArrayIter
from .wrappers import PrefetchingIter, ResizeIter

__all__ = ['DataDesc', 'DataBatch', 'DataIter', 'NDArrayIter', 'MXDataIter', 'CSVIter',
           'MNISTIter', 'LibSVMIter', 'ResizeIter', 'PrefetchingIter', 'load_mnist_dict',
           'read_idx', 'ImageRecordIter', 'ImageRecordUInt8Iter']
