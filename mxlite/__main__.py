"""``python -m mxlite`` (or ``mxlite``): look into, check and convert MXNet model files.

Commands
--------
info PREFIX EPOCH       inputs, outputs, parameters (shapes, sizes), operator counts, files
verify PREFIX EPOCH     every parameter against the symbol's inferred shapes; exit 1 on
                        missing, extra or mismatched parameters
convert IN OUT          re-save an NDArray file (.nd/.params, any version MXNet reads; the
                        result is the current V2 format) or a symbol JSON (any 1.x layout;
                        the result is MXNet 1.9.1's layout)
plot PREFIX             draw the network as text, HTML, or (with graphviz) SVG/PDF/PNG

Exit status: 0 success, 1 problems found by ``verify``, 2 unusable arguments or files
(missing, unreadable, corrupt).

Examples
--------
$ python -m mxlite info model/resnet 10 --data-shape data=1,3,224,224
$ python -m mxlite verify model/resnet 10
$ python -m mxlite convert old-0001.params new-0001.params
"""
import argparse
import collections
import os
import struct
import sys
import warnings

import numpy as np

__all__ = ['main']

_LIST_MAGIC = 0x112
_RECORD_VERSIONS = {0xF993FAC8: 'V1', 0xF993FAC9: 'V2', 0xF993FACA: 'V3'}
# names MXNet gives learnable variables; an absent argument with one of these is missing,
# any other absent argument is taken for a data/label input
_PARAM_SUFFIXES = ('_weight', '_bias', '_gamma', '_beta', '_moving_mean', '_moving_var',
                   '_running_mean', '_running_var', '_parameters', '_alpha')


class CLIError(Exception):
    """A problem with the command's arguments or files: message, exit status 2."""


# ---------------------------------------------------------------------- helpers
def _mx():
    import mxlite
    return mxlite


def _parse_shape_arg(text):
    """'data=1,3,224,224' (or data=(1,3,224,224), data=1x3x224x224) -> ('data', (1,3,224,224))."""
    name, sep, dims = text.partition('=')
    name = name.strip()
    dims = dims.strip().strip('()[]').replace('x', ',')
    try:
        shape = tuple(int(d) for d in dims.split(',') if d.strip())
    except ValueError:
        shape = None
    if not sep or not name or not shape or any(d < 0 for d in shape):
        raise argparse.ArgumentTypeError(
            "'%s' is not NAME=D1,D2,... (for example data=1,3,224,224)" % text)
    return name, shape


def _shapes(args):
    shapes = collections.OrderedDict()
    for name, shape in args.data_shape or []:
        shapes[name] = shape
    return shapes


def _files(prefix, epoch):
    return '%s-symbol.json' % prefix, '%s-%04d.params' % (prefix, epoch)


def _need_file(path, what):
    if not os.path.exists(path):
        raise CLIError("cannot find the %s '%s'" % (what, path))
    if os.path.isdir(path):
        raise CLIError("the %s '%s' is a directory" % (what, path))


def _load_symbol(path):
    mx = _mx()
    _need_file(path, 'symbol file')
    try:
        symbol = mx.sym.load(path)
        symbol.tojson()       # parses every node's attributes: bad ones fail here
        return symbol
    except (mx.MXNetError, ValueError, UnicodeDecodeError) as exc:
        raise CLIError(str(exc) if path in str(exc) else '%s: %s' % (path, exc)) from None


def _load_arrays(path, what='parameter file'):
    mx = _mx()
    _need_file(path, what)
    try:
        return mx.nd.load(path)
    except (mx.MXNetError, ValueError, OSError) as exc:
        raise CLIError(str(exc) if path in str(exc) else '%s: %s' % (path, exc)) from None


def _load_params(path):
    from .model import split_params
    mx = _mx()
    data = _load_arrays(path)
    try:
        return split_params(data, path)
    except mx.MXNetError as exc:
        raise CLIError(str(exc)) from None


def _load_checkpoint(args):
    """(symbol path, params path, symbol, arg_params, aux_params) of --prefix/--epoch."""
    sym_path, param_path = _files(args.prefix, args.epoch)
    symbol = _load_symbol(sym_path)
    arg_params, aux_params = _load_params(param_path)
    return sym_path, param_path, symbol, arg_params, aux_params


def _nd_format(path):
    """'V0'..'V3' of the first record of an NDArray file ('' when it holds none)."""
    with open(path, 'rb') as f:
        head = f.read(28)
    if len(head) < 24 or struct.unpack_from('<Q', head, 0)[0] != _LIST_MAGIC:
        return '?'
    if struct.unpack_from('<Q', head, 16)[0] == 0 or len(head) < 28:
        return ''
    return _RECORD_VERSIONS.get(struct.unpack_from('<I', head, 24)[0], 'V0')


def _size(n):
    return '{:,}'.format(n)


def _nbytes(n):
    for unit in ('bytes', 'KiB', 'MiB', 'GiB'):
        if n < 1024 or unit == 'GiB':
            return ('%d %s' % (n, unit)) if unit == 'bytes' else ('%.1f %s' % (n, unit))
        n /= 1024.0
    return ''


def _shape_str(shape):
    return '(%s)' % ', '.join(str(d) for d in shape) if len(shape) != 1 else '(%d,)' % shape[0]


def _table(rows, header):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    out = []
    for r in [header] + rows:
        cells = []
        for i, cell in enumerate(r):
            cell = str(cell)
            # numbers right-aligned, text left-aligned
            cells.append(cell.rjust(widths[i]) if i == len(r) - 1 else cell.ljust(widths[i]))
        out.append('  ' + '  '.join(cells).rstrip())
    return out


def _infer_partial(symbol, known):
    """arg/aux/out shapes from `known` ({} entries for unknown); raises MXNetError."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        args, outs, aux = symbol.infer_shape_partial(**known)
    table = dict(zip(symbol.list_arguments(), args))
    table.update(zip(symbol.list_auxiliary_states(), aux))
    return {k: tuple(v) for k, v in table.items() if v != ()}, outs


def _input_names(symbol, arg_params, shapes):
    return [n for n in symbol.list_arguments()
            if n in shapes or (n not in arg_params and not n.endswith(_PARAM_SUFFIXES))]


# ---------------------------------------------------------------------- info
def cmd_info(args):
    mx = _mx()
    sym_path, param_path, symbol, arg_params, aux_params = _load_checkpoint(args)
    shapes = _shapes(args)
    inputs = _input_names(symbol, arg_params, shapes)
    out = ['Model %s, epoch %d' % (args.prefix, args.epoch), '', 'Files:']
    out += _table([[sym_path, 'symbol JSON', _size(os.path.getsize(sym_path))],
                   [param_path, 'NDArray file %s' % _nd_format(param_path),
                    _size(os.path.getsize(param_path))]], ['file', 'kind', 'bytes'])
    out_shapes = None
    arg_shapes = {}
    if shapes:
        known = dict(shapes)
        known.update({k: v.shape for k, v in arg_params.items()
                      if k in symbol.list_arguments() and k not in shapes})
        known.update({k: v.shape for k, v in aux_params.items()
                      if k in symbol.list_auxiliary_states()})
        try:
            arg_shapes, out_shapes = _infer_partial(symbol, known)
        except (mx.MXNetError, ValueError) as exc:
            raise CLIError('shape inference failed: %s' % exc) from None
    out += ['', 'Inputs:']
    out += ['  %s%s' % (n, '  ' + _shape_str(arg_shapes[n]) if n in arg_shapes else '')
            for n in inputs]
    out += ['', 'Outputs:']
    for k, name in enumerate(symbol.list_outputs()):
        shown = ''
        if out_shapes is not None and out_shapes[k] != ():
            shown = '  ' + _shape_str(out_shapes[k])
        out.append('  %s%s' % (name, shown))
    total = 0
    nbytes = 0
    for title, params in (('Parameters', arg_params), ('Auxiliary states', aux_params)):
        rows = []
        for name, arr in params.items():
            dtype = np.dtype(arr.dtype)
            rows.append([name, _shape_str(arr.shape), dtype.name, _size(arr.size)])
            total += arr.size
            nbytes += arr.size * dtype.itemsize
        out += ['', '%s (%d):' % (title, len(params))]
        out += _table(rows, ['name', 'shape', 'dtype', 'size']) if rows else ['  (none)']
    out += ['', 'Total parameters: %s (%s)' % (_size(total), _nbytes(nbytes))]
    counts = collections.Counter()
    from .graph.ir import topo_order
    for node in topo_order(symbol._entries):
        if node.op is not None:
            counts[node.op.name] += 1
    out += ['', 'Operators (%d nodes):' % sum(counts.values())]
    out += _table([[op, str(c)] for op, c in sorted(counts.items(), key=lambda i: (-i[1], i[0]))],
                  ['operator', 'count'])
    print('\n'.join(out))
    return 0


# ---------------------------------------------------------------------- verify
def cmd_verify(args):
    mx = _mx()
    sym_path, param_path, symbol, arg_params, aux_params = _load_checkpoint(args)
    shapes = _shapes(args)
    arg_names = symbol.list_arguments()
    aux_names = symbol.list_auxiliary_states()
    unknown = [n for n in shapes if n not in arg_names]
    if unknown:
        raise CLIError("--data-shape names '%s', which is not an argument of the symbol "
                       "(arguments: %s)" % (unknown[0], ', '.join(arg_names)))
    inputs = _input_names(symbol, arg_params, shapes)
    problems = []
    # where a value sits in the file versus in the symbol
    file_shapes = {}
    for kind, params, names, other_kind, other_names, other_what in (
            ('arg', arg_params, arg_names, 'aux', aux_names, 'an aux state'),
            ('aux', aux_params, aux_names, 'arg', arg_names, 'an argument')):
        for name, arr in params.items():
            if name in other_names:
                problems.append("misplaced: '%s' is stored as %s:%s but the symbol has it as "
                                "%s (%s:%s)" % (name, kind, name, other_what, other_kind, name))
            elif name not in names:
                problems.append("extra: %s:%s %s is in the file but not used by the symbol"
                                % (kind, name, _shape_str(arr.shape)))
            else:
                file_shapes[name] = arr.shape
    # the shapes the symbol wants: from the data shapes alone, then from everything known
    expected = {}
    if shapes:
        try:
            expected, _ = _infer_partial(symbol, shapes)
        except (mx.MXNetError, ValueError) as exc:
            problems.append('shape inference from the data shapes %s failed: %s'
                            % (dict(shapes), exc))
    mismatched = set()
    for name, shape in file_shapes.items():
        want = expected.get(name)
        if want is not None and tuple(want) != tuple(shape):
            mismatched.add(name)
            problems.append("mismatch: '%s' has shape %s in the file but the symbol expects %s"
                            % (name, _shape_str(shape), _shape_str(want)))
    if not mismatched:
        known = dict(shapes)
        known.update(file_shapes)
        try:
            joint, _ = _infer_partial(symbol, known)
            for k, v in joint.items():
                expected.setdefault(k, v)
        except (mx.MXNetError, ValueError) as exc:
            problems.append('mismatch: the parameters do not fit together: %s' % exc)
    for name in arg_names:
        if name not in file_shapes and name not in inputs and name not in aux_params:
            want = expected.get(name)
            problems.append("missing: argument '%s'%s is not in the file"
                            % (name, ' %s' % _shape_str(want) if want else ''))
    for name in aux_names:
        if name not in file_shapes and name not in arg_params:
            want = expected.get(name)
            problems.append("missing: aux state '%s'%s is not in the file"
                            % (name, ' %s' % _shape_str(want) if want else ''))
    print('Verifying %s against %s' % (param_path, sym_path))
    print('inputs (not parameters): %s' % (', '.join(inputs) or '(none)'))
    if problems:
        for p in problems:
            print('  ' + p)
        print('FAILED: %d problem%s' % (len(problems), '' if len(problems) == 1 else 's'))
        return 1
    n = len(file_shapes)
    if shapes:
        how = 'shapes checked against those inferred from %s' % ', '.join(
            '%s=%s' % (k, _shape_str(v)) for k, v in shapes.items())
    else:
        how = ('shapes checked only where the parameters decide one another; give the input '
               'shapes (--data-shape %s=...) for a full check' % (inputs[0] if inputs
                                                                   else 'data'))
    print('OK: %d parameter%s (%d arguments, %d aux states) match the symbol by name; %s'
          % (n, '' if n == 1 else 's', len([k for k in file_shapes if k in arg_names]),
             len([k for k in file_shapes if k in aux_names]), how))
    return 0


# ---------------------------------------------------------------------- convert
def _is_json(path):
    with open(path, 'rb') as f:
        start = f.read(64).lstrip()
    return start[:1] in (b'{', b'[')


def _json_version(doc):
    attrs = doc.get('attrs') if isinstance(doc, dict) else None
    if isinstance(attrs, dict) and isinstance(attrs.get('mxnet_version'), list):
        return 'mxnet_version %s' % attrs['mxnet_version'][-1]
    nodes = doc.get('nodes', []) if isinstance(doc, dict) else []
    if any(isinstance(n, dict) and ('param' in n or 'attr' in n) for n in nodes):
        return "legacy layout with 'param'/'attr' keys"
    return 'no mxnet_version'


def cmd_convert(args):
    mx = _mx()
    src, dst = args.input, args.output
    _need_file(src, 'input file')
    if _is_json(src):
        import json
        symbol = _load_symbol(src)
        try:
            with open(src, encoding='utf-8') as f:
                doc = json.load(f)
        except ValueError:
            doc = {}
        version = _json_version(doc)
        try:
            symbol.save(dst)
        except OSError as exc:
            raise CLIError("cannot write '%s': %s" % (dst, exc.strerror or exc)) from None
        print("%s: symbol JSON (%s) -> %s: MXNet 1.9.1 layout, %d nodes, "
              "%s bytes" % (src, version, dst, len(json.loads(symbol.tojson())['nodes']),
                            _size(os.path.getsize(dst))))
        return 0
    version = _nd_format(src)
    data = _load_arrays(src, 'NDArray file')
    try:
        mx.nd.save(dst, data)
    except mx.MXNetError as exc:
        raise CLIError(str(exc)) from None
    kind = 'dict' if isinstance(data, dict) else 'list'
    print('%s: NDArray file %s, %d arrays (%s) -> %s: NDArray file %s, %s bytes'
          % (src, version or '(empty)', len(data), kind, dst, _nd_format(dst) or '(empty)',
             _size(os.path.getsize(dst))))
    return 0


# ---------------------------------------------------------------------- plot
def cmd_plot(args):
    mx = _mx()
    path = args.symbol if args.symbol.endswith('.json') else '%s-symbol.json' % args.symbol
    symbol = _load_symbol(path)
    shapes = _shapes(args) or None
    fmt = args.format
    if fmt in ('pdf', 'png') and not args.output:
        raise CLIError('--format %s writes binary data: give -o FILE' % fmt)
    try:
        if fmt == 'text':
            text = mx.viz.plot_network_text(symbol, shape=shapes) + '\n'
        elif fmt == 'html':
            text = mx.viz.plot_network_html(symbol, title=args.title, shape=shapes)
        else:
            dot = mx.viz.plot_network(symbol, title=args.title, save_format=fmt, shape=shapes)
            data = dot.pipe(format=fmt)
            if not args.output:
                text = data.decode('utf-8')
            else:
                with open(args.output, 'wb') as f:
                    f.write(data)
                print('wrote %s' % args.output)
                return 0
    except ImportError as exc:
        raise CLIError(str(exc)) from None
    except (mx.MXNetError, ValueError) as exc:
        raise CLIError('cannot plot %s: %s' % (path, exc)) from None
    except Exception as exc:   # graphviz.ExecutableNotFound and rendering failures
        raise CLIError('cannot render %s: %s' % (path, exc)) from None
    if args.output:
        with open(args.output, 'w', encoding='utf-8') as f:
            f.write(text)
        print('wrote %s' % args.output)
    else:
        sys.stdout.write(text)
    return 0


# ---------------------------------------------------------------------- entry point
def _parser():
    p = argparse.ArgumentParser(
        prog='python -m mxlite',
        description='Inspect, check and convert MXNet 1.x model files '
                    '(prefix-symbol.json, prefix-EPOCH.params, .nd).')
    p.add_argument('--version', action='version', version='mxlite ' + _version())
    sub = p.add_subparsers(dest='command', metavar='COMMAND')
    sub.required = True
    shape_help = ('input shape NAME=D1,D2,... (repeat for several inputs), e.g. '
                  'data=1,3,224,224')

    def model(cmd, help_text):
        c = sub.add_parser(cmd, help=help_text, description=help_text)
        c.add_argument('prefix', help='checkpoint prefix: PREFIX-symbol.json and '
                                      'PREFIX-EPOCH.params')
        c.add_argument('epoch', type=int, help='epoch number of the .params file')
        c.add_argument('--data-shape', action='append', type=_parse_shape_arg,
                       metavar='NAME=SHAPE', help=shape_help)
        return c
    model('info', 'inputs, outputs, parameters with shapes and sizes, operator counts, '
                  'file sizes').set_defaults(func=cmd_info)
    model('verify', 'check every parameter name and shape against the symbol; exit status '
                    '1 when something is missing, extra or mismatched'
          ).set_defaults(func=cmd_verify)
    c = sub.add_parser('convert', help='re-save an NDArray file (.nd/.params; legacy '
                                       'V0/V1 become V2) or a symbol JSON in the current '
                                       'layout', description='re-save an NDArray file or '
                                       'a symbol JSON in the current format')
    c.add_argument('input')
    c.add_argument('output')
    c.set_defaults(func=cmd_convert)
    c = sub.add_parser('plot', help='draw the network (text, html; svg/pdf/png need the '
                                    'graphviz package and dot)')
    c.add_argument('symbol', help='PREFIX (reads PREFIX-symbol.json) or a .json file')
    c.add_argument('--format', default='text', choices=('text', 'html', 'svg', 'pdf', 'png'))
    c.add_argument('-o', '--output', help='write here instead of standard output')
    c.add_argument('--title', default='plot')
    c.add_argument('--data-shape', action='append', type=_parse_shape_arg,
                   metavar='NAME=SHAPE', help=shape_help)
    c.set_defaults(func=cmd_plot)
    return p


def _version():
    from . import __version__
    return __version__


def main(argv=None):
    """Run the command line; returns the exit status.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 when ``verify`` finds problems, 2 for bad arguments or files.

    Examples
    --------
    >>> from mxlite.__main__ import main
    >>> main(['info', 'model/mlp', '1'])   # doctest: +SKIP
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:     # argparse: --help/--version (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return args.func(args)
    except CLIError as exc:
        print('mxlite %s: error: %s' % (args.command, exc), file=sys.stderr)
        return 2
    except OSError as exc:
        print('mxlite %s: error: %s' % (args.command, exc), file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
