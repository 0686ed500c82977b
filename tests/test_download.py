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

    from helpers import REPO
    from edgecompress.sources import official_urls, sources

    urls = official_urls(REPO / "workflow/schemas/config.schema.yaml")
    paper = yaml.safe_load((REPO / "config/config.yaml").read_text())["data"]
    assert urls == {k: s["url"] for k, s in sources(paper).items()}
