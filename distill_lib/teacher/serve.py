"""`python -m distill_lib.teacher.serve`: run the embedded teacher (transformers serve) in the
foreground.

Prints the base URL and the model name to use, then waits until Ctrl-C / SIGTERM and stops the
server. Default model: the pip-shipped SmolLM2 converted to safetensors; `--model-dir` serves
another local dir. Deliberately left out: anything but starting and stopping the server.
"""

from __future__ import annotations

import argparse
import signal
import time
from pathlib import Path

from distill_lib.teacher.server import EmbeddedServer, embedded_model_dir


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model-dir", type=Path, default=None, help="local model dir (default: SmolLM2)"
    )
    parser.add_argument(
        "--port", type=int, default=None, help="port on 127.0.0.1 (default: a free one)"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    server = EmbeddedServer(args.model_dir or embedded_model_dir(), port=args.port)
    with server as base_url:
        print(
            f"teacher ready: base_url={base_url} model={server.model} (log: {server.log_path})",
            flush=True,
        )
        print("use: teacher.base_url=<base_url> teacher.model=<model>; Ctrl-C stops", flush=True)
        try:
            while server.process.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    print("teacher stopped", flush=True)


if __name__ == "__main__":
    main()
