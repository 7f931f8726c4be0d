#!/usr/bin/env python3
"""Runs one notebook through the Jupyter protocol (nbclient), as Jupyter's "Run All" does.

Started by `DeepLearning.Notebooks run --client jupyter`, which has already filled in the exercise solutions, registered
the kernel in a private Jupyter path (JUPYTER_PATH …) and set COURSE_HEADLESS=1 (the kernel inherits the environment).
Every code cell runs in order; the first failing or timed-out cell stops the notebook. After every cell the partial
result (JSON) is rewritten and, every few seconds, the executed notebook too, so a killed run still leaves both.

The official kernel sends an empty traceback in its execute reply, so a failure's text is taken from the cell's own
outputs: the error output's ename/evalue, and what the cell wrote to stderr.

Exit status: 0 all cells passed, 1 a cell failed, 3 a cell timed out, 4 the kernel did not start or died.
"""

import argparse
import asyncio
import inspect
import json
import math
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

HEARTBEAT = 10.0   # seconds between "still running" lines
SAVE_EVERY = 10.0  # the executed notebook can be megabytes: rewrite it every few seconds, not after every cell


def first_line(source):
    line = next((l.strip() for l in source.splitlines() if l.strip()), "(empty cell)")
    return line if len(line) <= 80 else line[:77] + "..."


def text_of(value):
    return "".join(value) if isinstance(value, list) else (value or "")


def error_from_outputs(cell):
    """What the cell's outputs say about its failure: the error's message (ename/evalue), then its stderr."""
    errors, stderr = [], []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            ename, evalue = output.get("ename", ""), output.get("evalue", "")
            # The kernel puts the whole exception (type, message, stack) into evalue; keep the message part.
            lines = [l for l in evalue.splitlines() if l.strip()]
            message = [l for l in lines if not l.lstrip().startswith("at ") and not l.startswith("---")]
            head = "\n".join(message[:6]) if message else "(no message)"
            errors.append(head if ename in ("", "Error") else f"{ename}: {head}")
        elif output.get("output_type") == "stream" and output.get("name") == "stderr":
            text = text_of(output.get("text")).strip()
            if text:
                stderr.append(text)
    if errors == ["compilation error"] and stderr:
        # The compiler's diagnostics arrive on stderr; the error itself only says "compilation error".
        return "compilation error: " + "\n".join(stderr)
    parts = errors + ["stderr: " + "\n".join(stderr)] if stderr else errors
    return "\n".join(parts) if parts else None


def write_atomic(path, text):
    temp = path + ".tmp"
    with open(temp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(temp, path)


async def run(args):
    nb = nbformat.read(args.notebook, as_version=4)
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for _, cell in code:
        cell.outputs = []
        cell.execution_count = None
    result = {"kernelSeconds": 0.0, "seconds": 0.0, "error": None,
              "cells": [{"index": i, "status": "not-run", "seconds": 0.0, "error": None} for i, _ in code]}
    clock = time.monotonic()
    last_saved = clock

    def save_result():
        result["seconds"] = round(time.monotonic() - clock, 3)
        write_atomic(args.result, json.dumps(result, indent=1))

    def save_notebook():
        nonlocal last_saved
        write_atomic(args.executed, nbformat.writes(nb))
        last_saved = time.monotonic()

    def say(text):
        print(text, flush=True)

    save_result()
    save_notebook()
    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=math.ceil(args.cell_timeout),  # nbclient wants whole seconds
        startup_timeout=math.ceil(args.startup_timeout),
        resources={"metadata": {"path": args.cwd}},
        record_timing=False,
    )
    say(f"  starting kernel {args.kernel} over Jupyter ({len(code)} code cells of {len(nb.cells)})")
    exit_code = 0
    with open(args.kernel_log, "w", encoding="utf-8") as log:
        try:
            # The kernel's own logging (ASP.NET hosting lines, …) goes to a file, not into the run's output.
            async with client.async_setup_kernel(stdout=log, stderr=log):
                msg_id = client.kc.kernel_info()
                if inspect.isawaitable(msg_id):
                    msg_id = await msg_id
                reply = await client.async_wait_for_reply(msg_id)
                if reply is not None and "language_info" in reply["content"]:
                    nb.metadata["language_info"] = reply["content"]["language_info"]
                result["kernelSeconds"] = round(time.monotonic() - clock, 3)
                for k, (index, cell) in enumerate(code):
                    entry = result["cells"][k]
                    entry["status"] = "running"
                    save_result()
                    started = time.monotonic()

                    async def heartbeat():
                        while True:
                            await asyncio.sleep(HEARTBEAT)
                            say(f"  cell {index + 1:3}/{len(nb.cells)}  … still running after {time.monotonic() - started:.0f} s "
                                f"(notebook {time.monotonic() - clock:.0f} s)")

                    beat = asyncio.ensure_future(heartbeat())
                    status, error = "ok", None
                    try:
                        await client.async_execute_cell(cell, index, execution_count=k + 1)
                    except CellTimeoutError:
                        status, error = "timeout", f"timed out after {args.cell_timeout:.0f} s (the cell time limit)"
                    except CellExecutionError:
                        status, error = "failed", error_from_outputs(cell) or "the kernel reported an error and no output says which"
                    except DeadKernelError:
                        status, error = "failed", "the kernel died (see the kernel log)"
                    finally:
                        beat.cancel()
                    seconds = time.monotonic() - started
                    cell.metadata.setdefault("course_run", {}).update(
                        {"seconds": round(seconds, 3), "status": status, "client": "jupyter"})
                    entry.update(status=status, seconds=round(seconds, 3), error=error)
                    mark = {"ok": "ok     ", "failed": "FAILED ", "timeout": "TIMEOUT"}[status]
                    say(f"  cell {index + 1:3}/{len(nb.cells)}  {mark} {seconds:6.1f} s  {first_line(cell.source)}   "
                        f"[{time.monotonic() - clock:.1f} s]")
                    if status != "ok":
                        for line in error.splitlines():
                            say("      " + line)
                        exit_code = 3 if status == "timeout" else 1
                        break
                    save_result()
                    if time.monotonic() - last_saved >= SAVE_EVERY:
                        save_notebook()
        except (RuntimeError, TimeoutError, DeadKernelError) as e:
            # Kernel start failures (no such kernelspec, the tool missing, no reply in time).
            result["error"] = f"the kernel '{args.kernel}' did not start or stopped: {type(e).__name__}: {e}"
            say("  " + result["error"])
            exit_code = 4
    save_notebook()
    save_result()
    return exit_code


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--notebook", required=True, help="the notebook to run (solutions already filled in)")
    p.add_argument("--executed", required=True, help="where to write the executed notebook")
    p.add_argument("--result", required=True, help="where to write the per-cell result (JSON)")
    p.add_argument("--kernel-log", required=True, help="where the kernel's own stdout/stderr go")
    p.add_argument("--cwd", required=True, help="the kernel's working directory (the notebook's folder)")
    p.add_argument("--kernel", default=".net-csharp")
    p.add_argument("--cell-timeout", type=float, default=300)
    p.add_argument("--startup-timeout", type=float, default=120)
    args = p.parse_args()
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
