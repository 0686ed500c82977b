"""Progress lines: plain lines in a log file, one redrawn line on a terminal."""

import io

from edgecompress.logs import Progress


def test_progress_in_a_log_file_has_no_carriage_returns():
    stream = io.StringIO()
    with Progress(1000, "batches", stream=stream, every=25.0) as bar:
        for _ in range(1000):
            bar.update()
    text = stream.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert 4 <= len(lines) <= 6 and lines[-1].startswith("batches: 1,000/1,000 it (100.0 %)")


def test_progress_in_a_terminal_redraws_one_line():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    stream = Tty()
    with Progress(3, "epochs", stream=stream) as bar:
        for _ in range(3):
            bar.update()
    assert "\r" in stream.getvalue() and stream.getvalue().count("\n") == 1
