"""Report metrics of a jobctl job: log_metric("loss", 0.25, step=10).

Standard library only; copy this file next to your code. Each call writes one
line `NAME VALUE [STEP]` to the named pipe the agent gives every rank in
$JOBCTL_METRICS (see docs/tracking.md). Without JOBCTL_METRICS (the script
runs outside jobctl) every call is a no-op and one warning goes to stderr.

NAME: 1..128 characters of [A-Za-z0-9_.:/-]. VALUE: a finite number.
STEP: an integer >= 0; when omitted, the step after the last one of NAME.
"""

import math
import os
import re
import sys

__all__ = ["log_metric"]

_NAME = re.compile(r"^[A-Za-z0-9_.:/-]{1,128}$")
_fd = None
_disabled = False


def _channel():
    global _fd, _disabled
    if _fd is not None or _disabled:
        return _fd
    path = os.environ.get("JOBCTL_METRICS")
    if not path:
        sys.stderr.write("jobctl_metrics: JOBCTL_METRICS is not set; metrics are not recorded\n")
        _disabled = True
        return None
    try:
        # Non-blocking open fails at once (ENXIO) when nobody reads the pipe;
        # writes then block rather than lose points.
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        os.set_blocking(fd, True)
    except OSError as e:
        sys.stderr.write("jobctl_metrics: cannot open %s: %s; metrics are not recorded\n" % (path, e))
        _disabled = True
        return None
    _fd = fd
    return _fd


def log_metric(name, value, step=None):
    """Records VALUE of metric NAME at STEP (an int >= 0, or None)."""
    if not _NAME.match(str(name)):
        raise ValueError("metric name %r: use 1..128 characters of [A-Za-z0-9_.:/-]" % (name,))
    value = float(value)
    if not math.isfinite(value):
        raise ValueError("metric %s: value %r is not finite" % (name, value))
    if step is not None:
        step = int(step)
        if step < 0:
            raise ValueError("metric %s: step %d is negative" % (name, step))
    fd = _channel()
    if fd is None:
        return
    line = "%s %r" % (name, value) if step is None else "%s %r %d" % (name, value, step)
    os.write(fd, (line + "\n").encode("ascii"))  # one write < PIPE_BUF: atomic


if __name__ == "__main__":
    # python3 jobctl_metrics.py NAME VALUE [STEP]
    if len(sys.argv) not in (3, 4):
        sys.stderr.write("usage: jobctl_metrics.py NAME VALUE [STEP]\n")
        sys.exit(2)
    log_metric(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) == 4 else None)
