"""Runs `ipsec-doctor guide` in a pseudo-terminal, as an engineer at a keyboard would, and
reports what the terminal showed as JSON, for the Rust tests to check.

usage: guide_pty.py MODE KEY -- COMMAND...
  fix      answer every step, type KEY twice at the no-echo key prompts, apply on both
           routers, test again, do not save
  sigterm  answer every step, then send SIGTERM while the key prompt waits (echo off)

Prints {"status": exit code or null, "signal": the signal that ended it or null,
"screen": everything the terminal showed (ANSI codes removed), "echo_at_prompt": whether the
terminal echoed while the key prompt waited, "echo_after": whether it echoes once the guide
ended}.
"""

import fcntl
import json
import os
import re
import select
import signal
import sys
import termios
import time

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def echoing(fd):
    return bool(termios.tcgetattr(fd)[3] & termios.ECHO)


def main():
    mode, key = sys.argv[1], sys.argv[2]
    command = sys.argv[sys.argv.index("--") + 1 :]
    # The slave stays open here too, so its settings can be read after the guide is gone.
    fd, slave = os.openpty()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for n in (0, 1, 2):
            os.dup2(slave, n)
        os.close(fd)
        os.execvp(command[0], command)
    screen = ""
    seen = 0
    echo_at_prompt = None
    keys_typed = 0
    deadline = time.monotonic() + 120

    def send(text):
        os.write(fd, text.encode() + b"\r")

    wait = None
    while time.monotonic() < deadline:
        done, wait = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += ANSI.sub("", chunk.decode("utf-8", "replace"))
        fresh = screen[seen:]
        if not fresh.rstrip().endswith((":", "]", "?")):
            continue
        # The prompt is the last line shown.
        tail = fresh.rstrip().rsplit("\n", 1)[-1]
        seen = len(screen)
        if tail.endswith(("[g/s/q]", "[g/s/r/o/q]")):
            send("g")
        elif ("Pre-shared key" in tail or "same key again" in tail) and tail.endswith(":"):
            # Let the prompt switch echo off before looking.
            time.sleep(0.3)
            echo_at_prompt = echoing(fd)
            if mode == "sigterm":
                os.kill(pid, signal.SIGTERM)
                continue
            keys_typed += 1
            send(key)
        elif "(anything else leaves it unchanged):" in tail:
            router = re.search(r"Type (\S+) to apply", tail).group(1)
            send(router)
        elif tail.endswith("[y/N]"):
            send("n")
    if not done:
        os.kill(pid, signal.SIGKILL)
        _, wait = os.waitpid(pid, 0)
    # What the guide printed last.
    while select.select([fd], [], [], 0.1)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        screen += ANSI.sub("", chunk.decode("utf-8", "replace"))
    code = os.WEXITSTATUS(wait) if os.WIFEXITED(wait) else None
    sig = os.WTERMSIG(wait) if os.WIFSIGNALED(wait) else None
    echo_after = echoing(slave)
    print(
        json.dumps(
            {
                "status": code,
                "signal": sig,
                "screen": screen,
                "echo_at_prompt": echo_at_prompt,
                "echo_after": echo_after,
                "keys_typed": keys_typed,
            }
        )
    )


if __name__ == "__main__":
    main()
