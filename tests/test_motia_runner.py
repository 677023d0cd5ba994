"""The carried fixes of Motia's Python step runner, exercised on the real runner module from node_modules.

The runner reads Node's IPC channel (NODE_CHANNEL_FD) and, unpatched, decoded each read on its own: a
message whose multi-byte UTF-8 character straddled a read boundary was dropped and the step call waited
forever (curly quotes or Cyrillic in a pasted essay hung requests, jobs and the sweeper)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest

from conftest import PYTHON, ROOT

RUNNER_DIR = ROOT / "node_modules" / "@motiadev" / "core" / "dist" / "src" / "python"

# A child process that starts the runner's IPC reader on NODE_CHANNEL_FD, prints each message's text
# length as it arrives, and exits at the message {"type": "bye"}.
CHILD = textwrap.dedent("""
    import asyncio, json, os, sys
    sys.path.insert(0, sys.argv[1])
    from motia_ipc_communication import IpcCommunication
    async def main():
        ipc = IpcCommunication()
        ipc.message_handlers["msg"] = lambda m: print(len(m["text"]), flush=True)
        ipc.message_handlers["bye"] = lambda m: os._exit(0)  # as a step process ends: without draining the reader
        await ipc.init()
        await asyncio.sleep(20)
        sys.exit("no 'bye' message within 20 s")
    asyncio.run(main())
""")


def _run_child(messages: list[dict]) -> list[int]:
    if not (RUNNER_DIR / "motia_ipc_communication.py").exists():
        pytest.skip("node_modules not installed")
    parent, child = socket.socketpair()
    os.set_inheritable(child.fileno(), True)
    env = {**os.environ, "NODE_CHANNEL_FD": str(child.fileno()), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.Popen([str(PYTHON), "-c", CHILD, str(RUNNER_DIR)], env=env, pass_fds=(child.fileno(),),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    child.close()
    wire = b"".join(json.dumps(m, ensure_ascii=False).encode() + b"\n" for m in messages)
    wire += b'{"type": "bye"}\n'
    parent.sendall(wire)  # one write: the reader sees full-size reads, boundaries fixed by the byte offsets
    try:
        out, err = proc.communicate(timeout=30)
    finally:
        parent.close()
    assert proc.returncode == 0, err
    return [int(line) for line in out.split()]


@pytest.mark.parametrize("char", ["’", "“", "Ж", "😀"])
def test_every_message_arrives_whatever_byte_a_read_ends_on(char):
    """Messages of 4-70 KB whose multi-byte characters fall on every offset across the 4,096- and
    65,536-byte read boundaries all arrive (unpatched, 2 of 3 alignments of '’' were dropped)."""
    messages = []
    for size in (4_200, 66_000):
        for shift in range(len(char.encode())):  # every alignment of the character against the boundary
            text = "a" * shift + char * (size // len(char.encode()))
            messages.append({"type": "msg", "text": text})
    got = _run_child(messages)
    assert got == [len(m["text"]) for m in messages]


def test_runner_exits_when_the_parent_channel_closes():
    """A step process whose Node parent is gone exits instead of waiting forever on its pending calls."""
    if not (RUNNER_DIR / "motia_ipc_communication.py").exists():
        pytest.skip("node_modules not installed")
    code = textwrap.dedent("""
        import asyncio, sys
        sys.path.insert(0, sys.argv[1])
        from motia_ipc_communication import IpcCommunication
        async def main():
            ipc = IpcCommunication()
            await ipc.init()
            await ipc.send("state.get", {"traceId": "g", "key": "k"})  # never answered
        asyncio.run(main())
    """)
    parent, child = socket.socketpair()
    os.set_inheritable(child.fileno(), True)
    proc = subprocess.Popen([str(PYTHON), "-c", code, str(RUNNER_DIR)], pass_fds=(child.fileno(),),
                            env={**os.environ, "NODE_CHANNEL_FD": str(child.fileno()), "PYTHONDONTWRITEBYTECODE": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    child.close()
    parent.recv(4096)  # the request arrived: the call is pending
    parent.close()     # the parent goes away
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 1 and "IPC channel closed" in err
