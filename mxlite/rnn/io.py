"""Sentence data for RNNs: word encoding and a bucketing iterator."""
import bisect
import logging
import random

import numpy as np

from ..io import DataBatch, DataDesc, DataIter
from ..ndarray.ndarray import array

__all__ = ['encode_sentences', 'BucketSentenceIter']


def encode_sentences(sentences, vocab=None, invalid_label=-1, invalid_key='\n',
                     start_label=0, unknown_token=None):
    """Encode sentences (lists of tokens) as lists of integer ids, building the vocabulary
    as it goes unless one is given.

    Parameters
    ----------
    sentences : list of list of str
    vocab : dict of str to int, optional
        A fixed vocabulary; tokens outside it map to `unknown_token` (an error when that
        is None). Without one, a new vocabulary is built with ``invalid_key`` mapped to
        ``invalid_label`` and new ids counting up from `start_label` (skipping
        `invalid_label`).
    invalid_label : int, default -1
    invalid_key : str, default '\\n'
    start_label : int, default 0
    unknown_token : str, optional

    Returns
    -------
    (encoded sentences, vocab)

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.rnn.encode_sentences([['a', 'b'], ['b', 'c']], invalid_label=0, start_label=1)
    ([[1, 2], [2, 3]], {'\\n': 0, 'a': 1, 'b': 2, 'c': 3})
    """
    idx = start_label
    if vocab is None:
        vocab = {invalid_key: invalid_label}
        new_vocab = True
    else:
        new_vocab = False
        idx = max([v + 1 for v in vocab.values()] + [start_label])
    res = []
    for sent in sentences:
        coded = []
        for word in sent:
            if word not in vocab:
                if not new_vocab and not unknown_token:
                    raise KeyError('encode_sentences: unknown token %r (not in the given '
                                   'vocabulary; pass unknown_token to map such tokens)'
                                   % (word,))
                if not new_vocab:
                    word = unknown_token
                if word not in vocab:
                    if idx == invalid_label:
                        idx += 1
                    vocab[word] = idx
                    idx += 1
            coded.append(vocab[word])
        res.append(coded)
    return res, vocab


class BucketSentenceIter(DataIter):
    """Batches of encoded sentences grouped by length into buckets; each batch is padded
    with `invalid_label` to its bucket's length and carries ``bucket_key`` (that length)
    for `BucketingModule`. The label is the data shifted one step left (next-word
    prediction), ending with `invalid_label`.

    Parameters
    ----------
    sentences : list of list of int
    batch_size : int
    buckets : list of int, optional
        Bucket lengths; by default every length that has at least `batch_size` sentences.
        Sentences longer than the largest bucket are discarded (with a warning).
    invalid_label : int, default -1
    data_name, label_name : str
    dtype : str, default 'float32'
    layout : {'NT', 'TN'}, default 'NT'

    Examples
    --------
    >>> import mxlite as mx
    >>> sents = [[1, 2, 3], [4, 5], [6, 7, 8], [9, 1]]
    >>> it = mx.rnn.BucketSentenceIter(sents, batch_size=2, buckets=[2, 3], invalid_label=0)
    >>> sorted(b.bucket_key for b in it)
    [2, 3]
    """

    def __init__(self, sentences, batch_size, buckets=None, invalid_label=-1,
                 data_name='data', label_name='softmax_label', dtype='float32', layout='NT'):
        super().__init__(batch_size)
        if not buckets:
            counts = np.bincount([len(s) for s in sentences])
            buckets = [i for i, j in enumerate(counts) if j >= batch_size]
        if not buckets:
            raise ValueError('BucketSentenceIter: no sentence length occurs at least '
                             'batch_size=%d times; pass buckets explicitly' % batch_size)
        buckets = sorted(buckets)
        ndiscard = 0
        data = [[] for _ in buckets]
        for sent in sentences:
            buck = bisect.bisect_left(buckets, len(sent))
            if buck == len(buckets):
                ndiscard += 1
                continue
            buff = np.full((buckets[buck],), invalid_label, dtype=dtype)
            buff[:len(sent)] = sent
            data[buck].append(buff)
        self.data = [np.asarray(d, dtype=dtype).reshape(len(d), b)
                     for d, b in zip(data, buckets)]
        if ndiscard:
            logging.warning('BucketSentenceIter: discarded %d sentences longer than the '
                            'largest bucket (%d).', ndiscard, buckets[-1])
        self.batch_size = batch_size
        self.buckets = buckets
        self.data_name = data_name
        self.label_name = label_name
        self.dtype = dtype
        self.invalid_label = invalid_label
        self.nddata = []
        self.ndlabel = []
        self.major_axis = layout.find('N')
        self.layout = layout
        self.default_bucket_key = max(buckets)
        if self.major_axis == 0:
            shape = (batch_size, self.default_bucket_key)
        elif self.major_axis == 1:
            shape = (self.default_bucket_key, batch_size)
        else:
            raise ValueError("Invalid layout %s: must be 'NT' (batch major) or 'TN' (time "
                             "major)" % layout)
        self.provide_data = [DataDesc(name=data_name, shape=shape, layout=layout)]
        self.provide_label = [DataDesc(name=label_name, shape=shape, layout=layout)]
        self.idx = []
        for i, buck in enumerate(self.data):
            self.idx.extend([(i, j) for j in range(0, len(buck) - batch_size + 1, batch_size)])
        self.curr_idx = 0
        self.reset()

    def reset(self):
        """Shuffle the batches and the sentences within each bucket."""
        self.curr_idx = 0
        random.shuffle(self.idx)
        for buck in self.data:
            np.random.shuffle(buck)
        self.nddata = []
        self.ndlabel = []
        for buck in self.data:
            label = np.empty_like(buck)
            if buck.shape[1]:
                label[:, :-1] = buck[:, 1:]
                label[:, -1] = self.invalid_label
            self.nddata.append(array(buck, dtype=self.dtype))
            self.ndlabel.append(array(label, dtype=self.dtype))

    def next(self):
        if self.curr_idx == len(self.idx):
            raise StopIteration
        i, j = self.idx[self.curr_idx]
        self.curr_idx += 1
        data = self.nddata[i][j:j + self.batch_size]
        label = self.ndlabel[i][j:j + self.batch_size]
        if self.major_axis == 1:
            data, label = data.T, label.T
        return DataBatch([data], [label], pad=0, bucket_key=self.buckets[i],
                         provide_data=[DataDesc(name=self.data_name, shape=data.shape,
                                                layout=self.layout)],
                         provide_label=[DataDesc(name=self.label_name, shape=label.shape,
                                                 layout=self.layout)])
