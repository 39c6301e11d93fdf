"""A 100 MB upload with ``create_from_file``: the client's peak memory while it streams the file.

A sink server in its own process reads and discards the body (the emulator keeps bodies to 32 MiB).
The client's peak RSS (VmHWM) is read before and after; goal: under 50 MB in all. For comparison,
``--naive`` then reads the file whole and posts it with ``requests`` (the official SDK reads it whole).
Linux only (/proc).

    python benchmarks/upload_memory.py
    python benchmarks/upload_memory.py --quick
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

INGESTION = "0f8fad5b-d9cb-469f-a165-70867728950e"


class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802
        left = int(self.headers.get("Content-Length", "0"))
        received = 0
        while left > received:
            piece = self.rfile.read(min(left - received, 1 << 20))
            if not piece:
                break
            received += len(piece)
        # The reply's document_id says how many body bytes arrived, so the client can check them all.
        reply = json.dumps({"ingestion_id": INGESTION, "document_id": str(received), "status": "queued"}).encode()
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(reply)}\r\n\r\n"
        self.wfile.write(head.encode() + reply)

    def log_message(self, *args: object) -> None:
        pass


def serve() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def peak_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 MB")
    parser.add_argument("--naive", action="store_true", help="also time reading the file whole, as the SDK does")
    parser.add_argument("--sink", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        serve()
        return
    size = (10 if args.quick else 100) * 1024 * 1024
    sink = subprocess.Popen([sys.executable, __file__, "--sink"], stdout=subprocess.PIPE, text=True)
    try:
        assert sink.stdout is not None
        base_url = f"http://127.0.0.1:{sink.stdout.readline().strip()}"
        with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
            block = os.urandom(1 << 20)
            for _ in range(size // len(block)):
                pdf.write(block)
            pdf.flush()
            del block
            from synap_sync import SynapClient

            with SynapClient(api_key="synap_benchmark", base_url=base_url) as client:
                before = peak_mb()
                started = time.perf_counter()
                result = client.memories.create_from_file("u1", file_path=pdf.name)
                elapsed = time.perf_counter() - started
                assert int(result.document_id or 0) > size, f"the sink got {result.document_id} bytes"
                after = peak_mb()
            print(
                f"{size >> 20} MB uploaded in {elapsed:.2f} s ({size / elapsed / 1e6:.0f} MB/s): client peak RSS "
                f"{after:.1f} MB (before the upload {before:.1f} MB; goal < 50 MB)"
            )
            if args.naive:
                import requests

                with open(pdf.name, "rb") as stream:
                    content = stream.read()
                requests.post(base_url + "/api/v1/memories/upload", files={"file": ("x.pdf", content)}, timeout=60)
                print(f"  naive (read whole, requests files=): peak RSS {peak_mb():.1f} MB")
    finally:
        sink.terminate()
        sink.wait(10)


if __name__ == "__main__":
    main()
