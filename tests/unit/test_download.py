"""The download code against a real HTTP server on 127.0.0.1 (no other address is touched)."""

import hashlib
import socket

import pytest

from edgecompress.checksums import ChecksumError
from edgecompress.data.download import DownloadError, fetch, resolve_source

BODY = b"fashion" * 1000
SUMS = {"md5": hashlib.md5(BODY).hexdigest(), "sha256": hashlib.sha256(BODY).hexdigest()}


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir())


def test_plain_download_verifies(server, tmp_path):
    server.serve("/f.gz", (200, BODY, None))
    digests = fetch(f"{server.url}/f.gz", tmp_path / "f.gz", SUMS, backoff=0)
    assert (tmp_path / "f.gz").read_bytes() == BODY and digests == SUMS


def test_500_then_200_is_retried(server, tmp_path):
    route = server.serve("/f.gz", (500, b"oops", None), (200, BODY, None))
    fetch(f"{server.url}/f.gz", tmp_path / "f.gz", SUMS, retries=2, backoff=0)
    assert route.hits == 2 and (tmp_path / "f.gz").read_bytes() == BODY


def test_404_is_not_retried_and_leaves_nothing(server, tmp_path):
    with pytest.raises(DownloadError, match="HTTP 404 .* check the URL"):
        fetch(f"{server.url}/missing.gz", tmp_path / "f.gz", SUMS, retries=3, backoff=0)
    assert leftovers(tmp_path) == []


def test_wrong_checksum_names_url_expected_actual(server, tmp_path):
    server.serve("/f.gz", (200, b"something else", None))
    with pytest.raises(ChecksumError) as err:
        fetch(f"{server.url}/f.gz", tmp_path / "f.gz", SUMS, backoff=0)
    text = str(err.value)
    assert f"{server.url}/f.gz" in text and SUMS["sha256"] in text
    assert hashlib.sha256(b"something else").hexdigest() in text and "removed" in text
    assert leftovers(tmp_path) == []


def test_truncated_body_fails_after_retries_and_leaves_nothing(server, tmp_path):
    route = server.serve("/f.gz", (200, BODY[:100], len(BODY)))
    with pytest.raises(DownloadError, match="giving up after 3 attempts: .*(truncated|broken transfer)"):
        fetch(f"{server.url}/f.gz", tmp_path / "f.gz", SUMS, retries=2, backoff=0)
    assert route.hits == 3 and leftovers(tmp_path) == []


def test_unreachable_network_says_how_to_use_a_mirror(tmp_path):
    with socket.socket() as s:  # a loopback port that nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match="unreachable: set data.mirror"):
        fetch(f"http://127.0.0.1:{port}/f.gz", tmp_path / "f.gz", SUMS, retries=1, backoff=0, timeout=5)
    assert leftovers(tmp_path) == []


def test_present_and_verified_is_not_downloaded_again(server, tmp_path):
    route = server.serve("/f.gz", (200, BODY, None))
    fetch(f"{server.url}/f.gz", tmp_path / "f.gz", SUMS)
    fetch(f"{server.url}/f.gz", tmp_path / "f.gz", SUMS)
    assert route.hits == 1


def test_present_but_corrupt_is_replaced(server, tmp_path):
    route = server.serve("/f.gz", (200, BODY, None))
    (tmp_path / "f.gz").write_bytes(b"stale")
    fetch(f"{server.url}/f.gz", tmp_path / "f.gz", SUMS)
    assert route.hits == 1 and (tmp_path / "f.gz").read_bytes() == BODY


@pytest.mark.parametrize("form", ["path", "file-url"])
def test_local_sources_and_mirror(tmp_path, form):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "f.gz").write_bytes(BODY)
    location = str(mirror) if form == "path" else mirror.as_uri()
    out = tmp_path / "out" / "f.gz"
    fetch("https://example.org/some/where/f.gz", out, SUMS, mirror=location)
    assert out.read_bytes() == BODY
    fetch(f"{location}/f.gz", tmp_path / "direct.gz", SUMS)
    assert (tmp_path / "direct.gz").read_bytes() == BODY


def test_missing_local_file_is_named(tmp_path):
    with pytest.raises(DownloadError, match="source file not found: .*nothere.gz"):
        fetch(str(tmp_path / "nothere.gz"), tmp_path / "f.gz", SUMS)


def test_unsupported_scheme_and_missing_checksum(tmp_path):
    with pytest.raises(DownloadError, match="unsupported URL scheme 'ftp'"):
        fetch("ftp://example.org/f.gz", tmp_path / "f.gz", SUMS)
    with pytest.raises(DownloadError, match="no checksum pinned"):
        fetch("ftp://example.org/f.gz", tmp_path / "f.gz", {})


def test_sha256_prefix(server, tmp_path):
    server.serve("/resnet18-abc.pth", (200, BODY, None))
    prefix = SUMS["sha256"][:8]
    fetch(f"{server.url}/resnet18-abc.pth", tmp_path / "w.pth", {"sha256_prefix": prefix})
    with pytest.raises(ChecksumError, match="sha256 prefix: expected 00000000"):
        fetch(f"{server.url}/resnet18-abc.pth", tmp_path / "w2.pth", {"sha256_prefix": "00000000"})


def test_mirror_replaces_the_host():
    url = "https://download.pytorch.org/models/resnet18-f37072fd.pth"
    assert resolve_source(url, "") == url
    assert resolve_source(url, "http://127.0.0.1:8000/m/") == "http://127.0.0.1:8000/m/resnet18-f37072fd.pth"


def test_unreachable_mirror_is_named(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mirror = f"http://127.0.0.1:{port}/mirror"
    with pytest.raises(DownloadError, match=rf"mirror {mirror} is unreachable"):
        fetch("https://example.org/f.gz", tmp_path / "f.gz", SUMS, mirror=mirror, retries=0, backoff=0, timeout=5)
    assert leftovers(tmp_path) == []


OFFICIAL = {"cifar10.archive": "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"}


def test_mirror_replaces_only_official_urls():
    from edgecompress.sources import locate

    official = OFFICIAL["cifar10.archive"]
    assert locate("cifar10.archive", official, "", official) == (official, None, "official URL")
    where = locate("cifar10.archive", official, "/data/m/", official)
    assert where.source == "/data/m/cifar-10-python.tar.gz" and where.mirror == "/data/m/"
    mine = "file:///data/own/cifar-10-python.tar.gz"
    where = locate("cifar10.archive", mine, "/data/m", official)
    assert where.source == mine and where.mirror is None
    assert "set explicitly" in where.why and "applies only to official URLs" in where.why


def test_official_urls_are_the_schema_defaults():
    import yaml

    from edgecompress.sources import official_urls, sources
    from helpers import REPO

    urls = official_urls(REPO / "workflow/schemas/config.schema.yaml")
    paper = yaml.safe_load((REPO / "config/config.yaml").read_text())["data"]
    assert urls == {k: s["url"] for k, s in sources(paper).items()}


class RawServer:
    """A socket on 127.0.0.1 that answers one way, whatever is asked: ``endless`` sends bytes until the
    client hangs up (no length); ``stall`` announces 100 bytes, sends 10 and then nothing for 5 s."""

    def __init__(self, mode):
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/f.gz"
        self.mode, self.sent, self.connections = mode, 0, 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        import time

        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.recv(65536)
                try:
                    if self.mode == "endless":
                        conn.sendall(b"HTTP/1.0 200 OK\r\n\r\n")
                        while True:
                            conn.sendall(b"x" * 65536)
                            self.sent += 65536
                    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\n" + b"y" * 10)
                    time.sleep(5)
                except OSError:
                    pass

    def close(self):
        self.sock.close()


def test_a_download_that_never_ends_is_cut_at_the_cap(tmp_path):
    from edgecompress.data.download import Cap

    raw = RawServer("endless")
    try:
        with pytest.raises(
            DownloadError,
            match=r"sent at least [\d,]+ bytes, more than the 1,048,576 allowed "
            r"\(data\.max_download_mib\): refused, nothing kept",
        ):
            fetch(
                raw.url,
                tmp_path / "f.gz",
                SUMS,
                retries=3,
                backoff=0,
                timeout=5,
                cap=Cap(2**20, "data.max_download_mib"),
            )
    finally:
        raw.close()
    assert leftovers(tmp_path) == []
    assert raw.connections == 1  # a refused size is not retried (retries=3 above)
    # what the server could push before the client stopped reading: the cap plus the sockets' buffers
    assert raw.sent < 64 * 2**20


def test_an_announced_size_over_the_cap_is_refused_before_reading(server, tmp_path):
    from edgecompress.data.download import Cap

    route = server.serve("/f.gz", (200, BODY, None))
    with pytest.raises(DownloadError, match=rf"announces {len(BODY):,} bytes, more than the 100 allowed \(its size"):
        fetch(f"{server.url}/f.gz", tmp_path / "f.gz", SUMS, retries=3, backoff=0, cap=Cap(100, "its size"))
    assert route.hits == 1 and leftovers(tmp_path) == []
    local = tmp_path / "src" / "f.gz"
    local.parent.mkdir()
    local.write_bytes(BODY)
    with pytest.raises(DownloadError, match=rf"holds {len(BODY):,} bytes, more than the 100 allowed"):
        fetch(str(local), tmp_path / "out" / "f.gz", SUMS, cap=Cap(100, "its size"))
    assert not (tmp_path / "out").exists() or leftovers(tmp_path / "out") == []


def test_a_stalled_server_hits_the_read_timeout(tmp_path):
    import time

    raw = RawServer("stall")
    start = time.monotonic()
    try:
        with pytest.raises(DownloadError, match=r"giving up after 2 attempts: .*timed out"):
            fetch(raw.url, tmp_path / "f.gz", SUMS, retries=1, backoff=0, timeout=0.5)
    finally:
        raw.close()
    assert time.monotonic() - start < 4.5  # two attempts of 0.5 s, not the server's 5 s stall
    assert leftovers(tmp_path) == []


def test_the_cap_is_the_files_size_only_for_the_file_it_belongs_to():
    from edgecompress.data.download import cap_of

    official = {"url": "https://x/c.tar.gz", "md5": "a" * 32, "bytes": 1000}
    data = {"max_download_mib": 3}
    assert cap_of("cifar10.archive", dict(official), data, official).limit == 1000
    other = dict(official, md5="b" * 32)  # another archive under the official name (a fixture, a subset)
    assert cap_of("cifar10.archive", other, data, official).limit == 3 * 2**20
    assert cap_of("cifar10.archive", dict(other, bytes=5), data, official).limit == 5  # its own size
    assert cap_of("weights.resnet18", {"url": "u", "sha256_prefix": "f37072fd"}, data, None).limit == 3 * 2**20
