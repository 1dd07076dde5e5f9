"""Crash-safe file writing: write a temporary file beside the target, then rename."""
import os
import tempfile


def atomic_write_bytes(fname, data):
    """Write `data` to `fname` so that readers see the old file or the new one, never half."""
    fname = os.fspath(fname)
    directory = os.path.dirname(os.path.abspath(fname))
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(fname) + '.', suffix='.tmp',
                               dir=directory)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, fname)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(fname, text):
    atomic_write_bytes(fname, text.encode('utf-8'))
