"""mx.test_utils.list_gpus and mx.test_utils.download (file:// URLs and a local HTTP server;
nothing leaves the machine)."""
import http.server
import logging
import os
import threading
import urllib.error

import pytest

import mxlite as mx
from mxlite import context


# ---------------------------------------------------------------------- list_gpus
def test_list_gpus_is_a_range_of_the_gpus_here():
    gpus = mx.test_utils.list_gpus()
    assert isinstance(gpus, range) and gpus == range(context.num_gpus())


@pytest.mark.parametrize('count', [0, 1, 3])
def test_list_gpus_follows_the_device_count(monkeypatch, count):
    monkeypatch.setattr(context, 'num_gpus', lambda: count)
    assert list(mx.test_utils.list_gpus()) == list(range(count))


# ---------------------------------------------------------------------- a local server
class _Handler(http.server.BaseHTTPRequestHandler):
    """/ok/<name> serves BODY; /flaky/<n>/<name> fails (500) the first n requests;
    /missing is 404; every request is counted by path."""
    BODY = b'mxlite ' * 5000
    hits = {}

    def do_GET(self):  # noqa: N802  (http.server's name)
        count = self.hits[self.path] = self.hits.get(self.path, 0) + 1
        parts = self.path.split('?')[0].strip('/').split('/')
        if parts[0] == 'ok' or (parts[0] == 'flaky' and count > int(parts[1])):
            self.send_response(200)
            self.send_header('Content-Length', str(len(self.BODY)))
            self.end_headers()
            self.wfile.write(self.BODY)
        else:
            self.send_error(404 if parts[0] == 'missing' else 500)

    def log_message(self, *args):   # keep the test output quiet
        pass


@pytest.fixture(scope='module')
def server():
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d' % httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _count_fresh():
    _Handler.hits.clear()


def test_http_download_default_name_and_dirname(server, tmp_path):
    target = tmp_path / 'a' / 'b'
    out = mx.test_utils.download(server + '/ok/model-0001.params?token=1', dirname=str(target))
    assert out == str(target / 'model-0001.params')
    assert open(out, 'rb').read() == _Handler.BODY
    assert os.listdir(target) == ['model-0001.params']    # no temporary file left


def test_existing_file_is_kept_unless_overwrite(server, tmp_path):
    path = tmp_path / 'data.bin'
    path.write_bytes(b'old')
    assert mx.test_utils.download(server + '/ok/x', fname=str(path)) == str(path)
    assert path.read_bytes() == b'old' and not _Handler.hits
    mx.test_utils.download(server + '/ok/x', fname=str(path), overwrite=True)
    assert path.read_bytes() == _Handler.BODY and _Handler.hits == {'/ok/x': 1}


@pytest.mark.parametrize('fails,retries,ok', [(0, 5, True), (2, 3, True), (2, 2, False),
                                              (1, 0, False), (1, 1, False), (4, 5, True)])
def test_retries_count_attempts(server, tmp_path, caplog, fails, retries, ok):
    url = server + '/flaky/%d/w.bin' % fails
    fname = str(tmp_path / 'w.bin')
    with caplog.at_level(logging.WARNING):
        if ok:
            assert mx.test_utils.download(url, fname=fname, retries=retries) == fname
            assert open(fname, 'rb').read() == _Handler.BODY
        else:
            with pytest.raises(urllib.error.HTTPError, match='500'):
                mx.test_utils.download(url, fname=fname, retries=retries)
            assert not os.path.exists(fname)
    attempts = max(retries, 1)          # as MXNet: `retries` is the number of attempts
    assert _Handler.hits[url[len(server):]] == (fails + 1 if ok else attempts)
    retried = [r for r in caplog.records if 'retrying' in r.getMessage()]
    assert len(retried) == (fails if ok else attempts - 1)
    assert os.listdir(tmp_path) == (['w.bin'] if ok else [])


def test_missing_url_raises_and_writes_nothing(server, tmp_path):
    with pytest.raises(urllib.error.HTTPError, match='404'):
        mx.test_utils.download(server + '/missing/f', dirname=str(tmp_path), retries=2)
    assert os.listdir(tmp_path) == []
    assert _Handler.hits == {'/missing/f': 2}


# ---------------------------------------------------------------------- file:// and arguments
def test_file_url_with_fname_and_dirname(tmp_path):
    src = tmp_path / 'src' / 'weights.params'
    src.parent.mkdir()
    src.write_bytes(b'\x00\x01params')
    out = mx.test_utils.download(src.as_uri(), fname='copy.params',
                                 dirname=str(tmp_path / 'dst'))
    assert out == os.path.join(str(tmp_path / 'dst'), 'copy.params')
    assert open(out, 'rb').read() == b'\x00\x01params'
    # a name with a directory part creates that directory
    out = mx.test_utils.download(src.as_uri(), fname=str(tmp_path / 'new' / 'w.params'))
    assert open(out, 'rb').read() == b'\x00\x01params'


def test_bare_name_goes_to_the_current_directory(tmp_path, monkeypatch):
    src = tmp_path / 'f.txt'
    src.write_text('x')
    work = tmp_path / 'work'
    work.mkdir()
    monkeypatch.chdir(work)
    assert mx.test_utils.download(src.as_uri()) == 'f.txt'
    assert (work / 'f.txt').read_text() == 'x'


def test_missing_file_url(tmp_path):
    with pytest.raises(urllib.error.URLError):
        mx.test_utils.download((tmp_path / 'nope.bin').as_uri(), dirname=str(tmp_path),
                               retries=1)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize('retries', [-1, 1.5, True, '3'])
def test_bad_retries(tmp_path, retries):
    with pytest.raises(ValueError, match='retries must be an integer >= 0'):
        mx.test_utils.download('file:///x', dirname=str(tmp_path), retries=retries)


def test_url_without_a_name_needs_fname(tmp_path):
    with pytest.raises(ValueError, match='cannot guess a file name'):
        mx.test_utils.download('http://127.0.0.1:9/', dirname=str(tmp_path))
