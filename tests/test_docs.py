"""The documentation runs: every ```python block of docs/*.md is executed, in order, one
namespace per page, and the pages build with ``mkdocs build --strict``.

Conventions the pages follow (checked here):

* A ```python block right after ``<!-- no-run: REASON -->`` is shown but not run; the
  reason must be given (and the page should say it too).
* A ```text block that follows a ```python block with nothing but blank lines between is
  that block's expected output (stdout and stderr together, so logging lines count).
  It is compared as doctest does with ELLIPSIS and NORMALIZE_WHITESPACE: ``...`` stands
  for any text (timings, file paths), and runs of whitespace compare equal.

Each page runs in a fresh Python process (custom operator registrations, logging setup,
the NaN-check switch and files written by a page stay with that page), in a temporary
working directory. Line numbers in tracebacks are those of the .md file.

To run one page by hand: ``python3 tests/test_docs.py docs/custom_loss.md``.
"""
import doctest
import os
import pathlib
import re
import subprocess
import sys
import traceback

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / 'docs'
MARK = '\x1e@@docs-block@@{}\x1e\n'
_FENCE = re.compile(r'^(`{3,})\s*([\w+-]*)\s*(.*)$')
_NO_RUN = re.compile(r'^<!--\s*no-run:(.*?)-->\s*$')


def parse_blocks(text):
    """Fenced blocks of a Markdown page: dicts with lang, code, line (1-based line of the
    first code line), skip (the no-run reason or None) and output (the expected output or
    None, for python blocks)."""
    lines = text.split('\n')
    blocks = []
    i = 0
    last_nonblank = None     # index of the last non-blank line outside a block
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            if lines[i].strip():
                last_nonblank = i
            i += 1
            continue
        fence, lang = m.group(1), m.group(2).lower()
        start = i + 1
        j = start
        while j < len(lines) and lines[j].strip() != fence:
            j += 1
        if j == len(lines):
            raise ValueError('line %d: the %s block is never closed' % (i + 1, fence))
        skip = None
        if last_nonblank is not None and last_nonblank == i - 1:
            nr = _NO_RUN.match(lines[last_nonblank].strip())
            if nr:
                skip = nr.group(1).strip()
                if not skip:
                    raise ValueError('line %d: no-run needs a reason: <!-- no-run: why -->'
                                     % (last_nonblank + 1))
        block = {'lang': lang, 'code': '\n'.join(lines[start:j]) + '\n', 'line': start + 1,
                 'skip': skip, 'output': None, 'end': j}
        # a text block separated from the python block before it by blank lines only is
        # that block's output
        if lang == 'text' and blocks and blocks[-1]['lang'] == 'python' and \
                all(not s.strip() for s in lines[blocks[-1]['end'] + 1:i]):
            blocks[-1]['output'] = block['code']
        blocks.append(block)
        last_nonblank = j
        i = j + 1
    return blocks


def python_blocks(page):
    return [b for b in parse_blocks(page.read_text(encoding='utf-8')) if b['lang'] == 'python']


def pages():
    return sorted(DOCS.glob('*.md'))


# ---------------------------------------------------------------------- page runner
def run_page(path):
    """Run the python blocks of one page here, printing MARK before each (the child
    process's side of `test_page_runs`). Exit status 1 at the first failing block."""
    path = pathlib.Path(path).resolve()
    sys.path.insert(0, str(ROOT))
    namespace = {'__name__': '__main__'}
    for k, block in enumerate(python_blocks(path)):
        sys.stdout.write(MARK.format(k))
        sys.stdout.flush()
        if block['skip']:
            continue
        # pad so that tracebacks and "created at" name the .md file's own line numbers
        code = '\n' * (block['line'] - 1) + block['code']
        try:
            exec(compile(code, str(path), 'exec'), namespace)
        except BaseException:     # report which block failed, then stop
            sys.stdout.flush()
            traceback.print_exc()
            sys.stderr.flush()
            print('\nblock starting at %s:%d failed' % (path.name, block['line']))
            sys.stdout.flush()
            return 1
        sys.stdout.flush()
        sys.stderr.flush()
    return 0


if __name__ == '__main__' and len(sys.argv) == 2:
    sys.exit(run_page(sys.argv[1]))


import pytest  # noqa: E402  (the runner above must not need pytest)


def _page_ids():
    return [p.name for p in pages()]


def test_there_are_pages():
    names = set(_page_ids())
    for want in ('index.md', 'symbol.md', 'ndarray.md', 'module.md', 'custom_loss.md',
                 'checkpoints.md', 'debugging.md', 'migration.md'):
        assert want in names


@pytest.mark.parametrize('name', _page_ids())
def test_blocks_parse_and_no_run_has_reason(name):
    # parse_blocks raises on unclosed fences and on no-run markers without a reason
    blocks = parse_blocks((DOCS / name).read_text(encoding='utf-8'))
    for b in blocks:
        if b['skip']:
            assert b['lang'] == 'python', 'no-run marks python blocks only (line %d)' % b['line']


@pytest.mark.parametrize('name', [n for n in _page_ids()
                                  if python_blocks(DOCS / n)])
def test_page_runs(name, tmp_path):
    page = DOCS / name
    blocks = python_blocks(page)
    env = dict(os.environ)
    env.pop('MXLITE_NAN_CHECK', None)
    env['PYTHONPATH'] = os.pathsep.join([str(ROOT)] + [p for p in
                                        env.get('PYTHONPATH', '').split(os.pathsep) if p])
    env['PYTHONUNBUFFERED'] = '1'
    env['MPLBACKEND'] = 'Agg'
    proc = subprocess.run([sys.executable, '-u', str(pathlib.Path(__file__).resolve()),
                           str(page)], cwd=str(tmp_path), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=120)
    out = proc.stdout.decode('utf-8', 'replace')
    if proc.returncode != 0:
        pytest.fail('%s failed:\n%s' % (name, out[-6000:].replace(MARK[0], '')))
    parts = re.split(re.escape(MARK[0]) + r'@@docs-block@@(\d+)' + re.escape(MARK[0]) + '\n',
                     out)
    got = {int(parts[k]): parts[k + 1] for k in range(1, len(parts) - 1, 2)}
    checker = doctest.OutputChecker()
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    for k, block in enumerate(blocks):
        if block['output'] is None or block['skip']:
            continue
        have = got.get(k, '')
        if not checker.check_output(block['output'], have, flags):
            pytest.fail('%s, block at line %d: output differs\n--- expected\n%s--- got\n%s'
                        % (name, block['line'], block['output'], have))


def test_no_run_blocks_are_rare():
    # a skipped block is an untested example; keep them the exception
    skipped = [(p.name, b['line']) for p in pages() for b in python_blocks(p) if b['skip']]
    assert len(skipped) <= 3, skipped


# ---------------------------------------------------------------------- pictures, build
def _images_module():
    import importlib.util
    spec = importlib.util.spec_from_file_location('docs_make_images',
                                                  DOCS / 'images' / 'make_images.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_graph_pictures_are_current():
    images = _images_module()
    for name in images.PICTURES:
        path = DOCS / 'images' / name
        assert path.stat().st_size < 100_000, '%s is too large for the docs' % name
        assert path.read_text() == images.render(name), (
            '%s is stale: run python3 docs/images/make_images.py' % name)


def test_every_page_is_in_the_nav():
    config = (ROOT / 'mkdocs.yml').read_text()
    nav = set(re.findall(r'([\w/-]+\.md)\s*$', config, re.M))
    assert nav == set(_page_ids()), (nav, _page_ids())


def test_links_between_pages_exist():
    for page in pages():
        for target in re.findall(r'\]\(([\w./-]+?)(?:#[\w-]*)?\)', page.read_text()):
            if '://' in target:
                continue
            assert (page.parent / target).exists(), '%s links to missing %s' % (page.name,
                                                                                target)


def test_mkdocs_build_strict(tmp_path):
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        pytest.skip('mkdocs is not installed (optional: python3 -m pip install mkdocs)')
    proc = subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '--strict', '--quiet',
                           '-f', str(ROOT / 'mkdocs.yml'), '-d', str(tmp_path / 'site')],
                          cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout.decode('utf-8', 'replace')
    for name in _page_ids():
        stem = name[:-3]
        html = tmp_path / 'site' / ('index.html' if stem == 'index' else stem + '/index.html')
        assert html.exists(), html
    assert (tmp_path / 'site' / 'images' / 'abd.svg').exists()
    assert not list((tmp_path / 'site').rglob('make_images.py'))


def test_readme_documents_the_build_command():
    text = (ROOT / 'README.md').read_text()
    assert 'mkdocs build --strict' in text

