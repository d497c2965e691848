"""The antivirus hook against a tiny clamd that speaks the real INSTREAM protocol (chunks of a
4-byte big-endian length and bytes, a zero length to end, a NUL-terminated verdict), over TCP
and over a Unix socket, both bound here and torn down."""

import io
import socketserver
import struct
import threading

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from PIL import Image, PngImagePlugin

from dossiers.services.documents import document_inspect
from portal.upload_policy import clamd_scan
from tests.uploads import samples

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def _infected_png() -> bytes:
    """A valid PNG carrying the EICAR test string in a text chunk: only the scan can tell."""
    buffer = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", EICAR.decode())
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


class _Clamd(socketserver.BaseRequestHandler):
    """clamd's side of ``zINSTREAM``; records what it was sent on the server."""

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            piece = self.request.recv(n - len(data))
            if not piece:
                raise ConnectionError("client went away")
            data += piece
        return data

    def handle(self):
        command = b""
        while not command.endswith(b"\0"):
            command += self._read(1)
        if command != b"zINSTREAM\0":
            self.request.sendall(b"UNKNOWN COMMAND\0")
            return
        received, chunks = b"", 0
        while True:
            (length,) = struct.unpack(">I", self._read(4))
            if length == 0:
                break
            received += self._read(length)
            chunks += 1
        self.server.scans.append((received, chunks))
        if self.server.limit is not None and len(received) > self.server.limit:
            self.request.sendall(b"INSTREAM size limit exceeded. ERROR\0")
        elif EICAR in received:
            self.request.sendall(b"stream: Eicar-Test-Signature FOUND\0")
        else:
            self.request.sendall(b"stream: OK\0")


class _TCPClamd(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _UnixClamd(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


def _serve(server):
    server.scans = []
    server.limit = None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture
def tcp_clamd():
    server = _serve(_TCPClamd(("127.0.0.1", 0), _Clamd))
    yield server, f"tcp://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def unix_clamd(tmp_path):
    path = str(tmp_path / "clamd.sock")
    server = _serve(_UnixClamd(path, _Clamd))
    yield server, f"unix://{path}"
    server.shutdown()
    server.server_close()


def test_clean_bytes_are_streamed_in_chunks_and_pass(tcp_clamd):
    server, address = tcp_clamd
    content = b"a" * 200_000
    assert clamd_scan(content, address=address) is None
    assert server.scans == [(content, 4)]  # 64 KB chunks


def test_the_signature_found_is_returned_over_a_unix_socket(unix_clamd):
    server, address = unix_clamd
    assert clamd_scan(b"head " + EICAR + b" tail", address=address) == "Eicar-Test-Signature"
    assert len(server.scans) == 1


def test_an_infected_upload_is_refused_in_both_languages(tcp_clamd, settings):
    _server, settings.CLAMD_ADDRESS = tcp_clamd
    content = _infected_png()
    with translation.override("vi"), pytest.raises(ValidationError) as caught:
        document_inspect(name="anh.png", content=content)
    assert caught.value.code == "infected"
    assert "mã độc (Eicar-Test-Signature)" in caught.value.messages[0]
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        document_inspect(name="anh.png", content=content)
    assert "malware" in caught.value.messages[0]


def test_a_clean_upload_passes_the_scan(tcp_clamd, settings):
    server, settings.CLAMD_ADDRESS = tcp_clamd
    content = samples.plain_pdf()
    assert document_inspect(name="to-khai.pdf", content=content).content == content
    assert server.scans[0][0] == content


def test_clamd_away_or_refusing_the_stream_fails_closed(tcp_clamd, settings, tmp_path):
    server, address = tcp_clamd
    server.limit = 10
    settings.CLAMD_ADDRESS = address
    with translation.override("vi"), pytest.raises(ValidationError) as caught:
        document_inspect(name="to-khai.pdf", content=samples.plain_pdf())
    assert caught.value.code == "scan_unavailable"
    assert "thử lại sau" in caught.value.messages[0]
    settings.CLAMD_ADDRESS = f"unix://{tmp_path}/nobody-listens.sock"
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        document_inspect(name="to-khai.pdf", content=samples.plain_pdf())
    assert caught.value.code == "scan_unavailable"
    assert "try again" in caught.value.messages[0]


def test_the_scan_is_off_by_default(settings):
    assert settings.CLAMD_ADDRESS == ""
    content = _infected_png()
    assert document_inspect(name="anh.png", content=content).size == len(content)
