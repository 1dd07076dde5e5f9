"""Word-level LSTM language model trained with BucketingModule (after MXNet's
example/rnn/bucketing), reporting train and validation perplexity per epoch.

The corpus
----------
By default the text is real English that exists on every machine running this script:
the docstrings of about ninety modules of Python's standard library (read with
`inspect.getdoc`; about 100,000 words, so the exact text depends on the Python version).
Doctest lines are dropped, the text is lower-cased, numbers become ``N``, it is split
into sentences, and words outside the most frequent `--vocab` words become ``<unk>``.
Every tenth sentence goes to the validation set. Give ``--text FILE`` to train on your
own corpus instead (one sentence per line works best, e.g. PTB's ``ptb.train.txt``).

Sentences are grouped by length into buckets; each bucket unrolls its own graph, and all
buckets share the parameters and the memory of the largest (the default bucket).

Run ``python examples/lstm_lm.py`` (six epochs; 20-60 s on two CPU cores). By default the
LSTM is the fused RNN operator (`mx.rnn.FusedRNNCell`, one node per bucket); ``--unfused``
unrolls `mx.rnn.LSTMCell`s instead (one subgraph per time step, as MXNet's
``lstm_bucketing.py`` does; slower here).
"""
import argparse
import collections
import importlib
import inspect
import logging
import re
import time
import warnings

import numpy as np

import mxlite as mx

_MODULES = (
    'argparse collections textwrap json csv logging unittest pathlib subprocess threading '
    'asyncio email.message http.client urllib.request xml.etree.ElementTree datetime '
    'decimal fractions statistics random string re os shutil tempfile typing dataclasses '
    'enum functools itertools inspect pydoc difflib heapq bisect calendar configparser '
    'contextlib copy pickle pprint queue sched shlex smtplib socket ssl tarfile zipfile '
    'gzip hashlib secrets uuid zoneinfo imaplib ftplib optparse gettext locale codecs io '
    'abc numbers operator weakref traceback warnings timeit doctest ast tokenize importlib '
    'pkgutil sysconfig platform mailbox mimetypes base64 html.parser webbrowser '
    'xmlrpc.client ipaddress selectors concurrent.futures multiprocessing.pool sqlite3 '
    'poplib').split()

_INVALID = 0       # padding id (and the label after a sentence's last word)
_START = 1         # first word id


def stdlib_docstrings():
    """The docstrings of the modules above and of their public classes, functions and
    methods, each once, in a fixed order."""
    docs, seen = [], set()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for name in _MODULES:
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            objs = [module]
            for attr in sorted(dir(module)):
                if attr.startswith('_'):
                    continue
                obj = getattr(module, attr, None)
                objs.append(obj)
                if inspect.isclass(obj):
                    objs.extend(v for k, v in sorted(vars(obj).items())
                                if not k.startswith('_'))
            for obj in objs:
                if not (inspect.ismodule(obj) or inspect.isclass(obj) or
                        inspect.isfunction(obj) or inspect.ismethod(obj)):
                    continue
                doc = inspect.getdoc(obj)
                if doc and doc not in seen:
                    seen.add(doc)
                    docs.append(doc)
    return '\n\n'.join(docs)


def sentences_of(text, min_len=3, max_len=30):
    """Lower-cased word lists, one per sentence (doctest and code-like lines dropped)."""
    lines = [ln for ln in text.splitlines()
             if not ln.lstrip().startswith(('>>>', '...', '$'))]
    out = []
    for chunk in re.split(r'(?<=[.!?])\s+|\n\s*\n', '\n'.join(lines)):
        words = re.findall(r"[a-z]+(?:'[a-z]+)?|[0-9]+", chunk.lower())
        words = ['N' if w.isdigit() else w for w in words]
        if min_len <= len(words) <= max_len:
            out.append(words)
    return out


def load_corpus(text_file=None, vocab_size=2000, max_sentences=None):
    """(train sentences, validation sentences, vocab) as encoded id lists."""
    if text_file:
        with open(text_file, encoding='utf-8') as f:
            text = f.read()
    else:
        text = stdlib_docstrings()
    sents = sentences_of(text)
    if max_sentences:
        sents = sents[:max_sentences]
    counts = collections.Counter(w for s in sents for w in s)
    keep = {w for w, _ in counts.most_common(vocab_size - 2)}
    sents = [[w if w in keep else '<unk>' for w in s] for s in sents]
    val = sents[::10]
    train = [s for i, s in enumerate(sents) if i % 10]
    train_ids, vocab = mx.rnn.encode_sentences(train, invalid_label=_INVALID,
                                               start_label=_START)
    val_ids, vocab = mx.rnn.encode_sentences(val, vocab=vocab, invalid_label=_INVALID,
                                             start_label=_START, unknown_token='<unk>')
    return train_ids, val_ids, vocab


def make_sym_gen(vocab_size, num_embed, num_hidden, num_layers, fused):
    """sym_gen(seq_len) for BucketingModule: embed -> LSTM stack -> softmax per step."""
    if fused:
        # FusedRNNCell puts forget_bias on both the i2h and the h2h forget-gate biases
        # (as MXNet's does); 0.5 each starts it where LSTMCell starts (1.0 in total)
        cell = mx.rnn.FusedRNNCell(num_hidden, num_layers=num_layers, mode='lstm',
                                   forget_bias=0.5, prefix='lstm_')
    else:
        cell = mx.rnn.SequentialRNNCell()
        for i in range(num_layers):
            cell.add(mx.rnn.LSTMCell(num_hidden, prefix='lstm_l%d_' % i))

    def sym_gen(seq_len):
        data = mx.sym.Variable('data')
        label = mx.sym.Variable('softmax_label')
        embed = mx.sym.Embedding(data=data, input_dim=vocab_size, output_dim=num_embed,
                                 name='embed')
        cell.reset()
        if fused:   # the fused op is time-major: swap once, outside the recurrence
            embed = mx.sym.swapaxes(embed, dim1=0, dim2=1)
            outputs, _ = cell.unroll(seq_len, inputs=embed, layout='TNC',
                                     merge_outputs=True)
            outputs = mx.sym.swapaxes(outputs, dim1=0, dim2=1)
        else:
            outputs, _ = cell.unroll(seq_len, inputs=embed, layout='NTC',
                                     merge_outputs=True)
        pred = mx.sym.Reshape(outputs, shape=(-1, num_hidden))
        pred = mx.sym.FullyConnected(data=pred, num_hidden=vocab_size, name='pred')
        label = mx.sym.Reshape(label, shape=(-1,))
        pred = mx.sym.SoftmaxOutput(data=pred, label=label, name='softmax')
        return pred, ('data',), ('softmax_label',)
    return sym_gen


def train(num_epochs=6, batch_size=32, buckets=(8, 12, 18, 30), vocab=2000, num_embed=64,
          num_hidden=128, num_layers=1, lr=0.35, fused=True, text=None, max_sentences=None,
          seed=1, log_every=0):
    """Train and return [(train perplexity, validation perplexity)] per epoch."""
    mx.random.seed(seed)
    np.random.seed(seed)
    import random
    random.seed(seed)
    train_ids, val_ids, vocab_map = load_corpus(text, vocab, max_sentences)
    logging.info('corpus: %d train / %d validation sentences, %d words in vocabulary',
                 len(train_ids), len(val_ids), len(vocab_map))
    data_train = mx.rnn.BucketSentenceIter(train_ids, batch_size, buckets=list(buckets),
                                           invalid_label=_INVALID)
    data_val = mx.rnn.BucketSentenceIter(val_ids, batch_size, buckets=list(buckets),
                                         invalid_label=_INVALID)
    sym_gen = make_sym_gen(len(vocab_map) + 1, num_embed, num_hidden, num_layers, fused)
    model = mx.mod.BucketingModule(sym_gen=sym_gen,
                                   default_bucket_key=data_train.default_bucket_key,
                                   context=mx.cpu())
    history = []
    last_train = {}

    def record_train(param):
        last_train[param.epoch] = param.eval_metric.get()[1]

    def record_val(param):
        history.append((last_train[param.epoch], param.eval_metric.get()[1]))

    callbacks = [record_train]
    if log_every:
        callbacks.append(mx.callback.Speedometer(batch_size, log_every, auto_reset=False))
    model.fit(train_data=data_train, eval_data=data_val,
              eval_metric=mx.metric.Perplexity(_INVALID),
              optimizer='sgd',
              optimizer_params={'learning_rate': lr, 'momentum': 0.0, 'wd': 1e-5,
                                'clip_gradient': 5.0},
              initializer=mx.init.Xavier(factor_type='in', magnitude=2.34),
              num_epoch=num_epochs, batch_end_callback=callbacks,
              eval_end_callback=record_val)
    return history


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--text', help='a text file to train on (default: stdlib docstrings)')
    parser.add_argument('--num-epochs', type=int, default=6)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--num-hidden', type=int, default=128)
    parser.add_argument('--num-embed', type=int, default=64)
    parser.add_argument('--num-layers', type=int, default=1)
    parser.add_argument('--vocab', type=int, default=2000, help='vocabulary size')
    parser.add_argument('--lr', type=float, default=0.35)
    parser.add_argument('--unfused', action='store_true',
                        help='unroll LSTMCells instead of the fused RNN operator')
    parser.add_argument('--disp-batches', type=int, default=50)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format='%(asctime)-15s %(message)s')
    tic = time.time()
    history = train(num_epochs=args.num_epochs, batch_size=args.batch_size,
                    vocab=args.vocab, num_embed=args.num_embed, num_hidden=args.num_hidden,
                    num_layers=args.num_layers, lr=args.lr, fused=not args.unfused,
                    text=args.text, log_every=args.disp_batches)
    for epoch, (tr, va) in enumerate(history):
        print('epoch %d: train perplexity %.1f, validation perplexity %.1f' % (epoch, tr, va))
    print('total time %.1f s' % (time.time() - tic))


if __name__ == '__main__':
    main()
