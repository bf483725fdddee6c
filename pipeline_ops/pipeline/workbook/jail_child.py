"""The jailed reader's child process: the only code that parses a workbook we did not write.

It runs forked from the reader's zygote (zygote_child.py calls `serve`), or, without one,
started by `jail.py` as `python -I jail_child.py CONFIG` with an empty environment. Before
it touches the workbook it limits itself (address space, CPU seconds, file size, no core
dumps) and asks the kernel to kill it when its parent dies. Then it runs the budget's checks, opens
the workbook with fastexcel (calamine) and answers requests, one JSON line each way:

    parent → child   {"id": 3, "sheet": "FEB", "max_rows": null}
    child → parent   {"id": "names", "names": [...]} | {"start": 3}
                     | {"id": 3, "file": "sheet-3.arrow", "letters": ["A", …]}
                     | {"id": 3, "error": "…"}

Each sheet is written as an Arrow IPC file in the scratch folder the parent owns; two
threads read sheets at once (calamine releases the GIL), each with its own reader. A refusal
the budget or calamine can name is an "error" reply; anything worse (an allocation calamine
cannot get, a limit) ends this process, and the parent names what ran out.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import queue
import re
import resource
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
READERS = 2  # sheets read at once, as extract's two lanes type them
EXCEL_ERRORS = {
    "Ref": "#REF!", "Div0": "#DIV/0!", "NA": "#N/A", "Value": "#VALUE!", "Name": "#NAME?",
    "Num": "#NUM!", "Null": "#NULL!", "GettingData": "#GETTING_DATA",
}  # fmt: skip


def limit_self(config: dict) -> None:
    """Hard limits first, while nothing untrusted has been touched."""
    memory, seconds = config["memory"], config["seconds"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (2 * memory, 2 * memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    die_with_parent(config["parent"])


def die_with_parent(parent: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: never outlive the parent
    if os.getppid() != parent:
        os._exit(3)  # the parent died before the line above


def preload() -> None:
    """What every child needs, imported once by the zygote (zygote_child.py)."""
    import fastexcel  # noqa: F401
    import pyarrow.ipc  # noqa: F401

    from pipeline_ops.pipeline.text import printable  # noqa: F401
    from pipeline_ops.pipeline.workbook import budget, limits  # noqa: F401


class Child:
    def __init__(self, config: dict):
        import fastexcel

        from pipeline_ops.pipeline.errors import PipelineError, first_line
        from pipeline_ops.pipeline.workbook.budget import WorkbookBudget, column_letters
        from pipeline_ops.pipeline.workbook.limits import BIG_SHEET

        self.fastexcel, self.error_type, self.big_sheet = fastexcel, PipelineError, BIG_SHEET
        self.letters, self.first_line = column_letters, first_line
        self.path, self.out = Path(config["path"]), Path(config["out"])
        self.readers_wanted = int(config.get("readers", READERS))
        self.lock = threading.Lock()
        self.gate, self.busy = threading.Condition(), 0  # two small sheets, or one big one
        self.budget = WorkbookBudget(self.path, config["limits"])
        self.readers: queue.SimpleQueue = queue.SimpleQueue()
        self.readers.put(self.open_reader())

    def open_reader(self):
        try:
            return self.fastexcel.read_excel(str(self.path))
        except Exception as exc:  # calamine reports zip/XML damage as plain errors
            if _is_opendocument(self.path):
                raise self.error_type(
                    f"{self.path}: the file is an OpenDocument spreadsheet (.ods); save it from"
                    " LibreOffice or Excel as .xlsx"
                ) from None
            raise self.error_type(
                f"{self.path}: not a readable .xlsx workbook ({self.first_line(exc)})"
            ) from None

    def say(self, message: dict) -> None:
        with self.lock:
            sys.stdout.write(json.dumps(message) + "\n")
            sys.stdout.flush()

    def serve(self, requests: queue.SimpleQueue) -> None:
        """One of READERS threads: take a request, read the sheet, answer."""
        reader = None
        while (request := requests.get()) is not None:
            self.say({"start": request["id"]})
            reader = reader or self._reader()
            self.say(self.read(reader, request))
        requests.put(None)  # wake the next thread

    def _reader(self):
        try:
            return self.readers.get_nowait()
        except queue.Empty:
            return self.open_reader()

    @contextlib.contextmanager
    def _slots(self, weight: int) -> Iterator[None]:
        """Memory is shared: a big sheet (or one the budget could not see) is read alone."""
        with self.gate:
            self.gate.wait_for(lambda: self.busy + weight <= READERS)
            self.busy += weight
        try:
            yield
        finally:
            with self.gate:
                self.busy -= weight
                self.gate.notify_all()

    def read(self, reader, request: dict) -> dict:
        from pipeline_ops.pipeline.text import printable

        name, number = request["sheet"], request["id"]
        try:
            used = self.budget.check_sheet(name, max_rows=request.get("max_rows"))
            with self._slots(2 if used is None or used.cells > self.big_sheet else 1):
                loaded = reader.load_sheet(
                    name, header_row=None, skip_rows=0, dtypes="string", whitespace_as_null=True
                )
                data, errors = loaded.to_arrow_with_errors()
            letters = [self.letters(c.absolute_index + 1) for c in loaded.available_columns()]
        except self.error_type as exc:
            return {"id": number, "error": str(exc)}
        except Exception as exc:
            where = f"{self.path} sheet {printable(name)}"
            return {"id": number, "error": f"{where}: cannot read ({self.first_line(exc)})"}
        if errors:
            data = _with_error_text(data, errors.errors)
        target = self.out / f"sheet-{number}.arrow"
        _write_arrow(data, target)
        return {"id": number, "file": target.name, "letters": letters}


def _write_arrow(data, target: Path) -> None:
    import pyarrow.ipc

    with pyarrow.ipc.new_file(str(target), data.schema) as writer:
        writer.write_batch(data)


def _with_error_text(data, errors: list):
    """calamine reads formula errors as blanks; put their Excel text back so validation says
    `Harga '#REF!' is not an amount of money` instead of `Harga is blank`."""
    import pyarrow as pa

    arrays = list(data.columns)
    patched: dict[int, list] = {}
    for error in errors:
        row, col = error.position
        kind = re.search(r"Error\((\w+)\)", error.detail)
        values = patched.setdefault(col, arrays[col].to_pylist())
        values[row] = EXCEL_ERRORS.get(kind.group(1), "#ERROR") if kind else "#ERROR"
    for col, values in patched.items():
        arrays[col] = pa.array(values, pa.string())
    return pa.RecordBatch.from_arrays(arrays, names=data.schema.names)


def _is_opendocument(path: Path) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive, archive.open("mimetype") as entry:
            return entry.read(64).startswith(b"application/vnd.oasis.opendocument")
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, RuntimeError):
        return False


def main() -> int:
    config = json.loads(sys.argv[1])
    limit_self(config)
    sys.path.insert(0, str(ROOT))  # -I leaves the project off sys.path
    return serve(config)


def serve(config: dict) -> int:
    """Read one workbook for the parent on stdin/stdout (limits already set)."""
    from pipeline_ops.pipeline.errors import PipelineError, first_line

    try:
        child = Child(config)
    except PipelineError as exc:
        sys.stdout.write(json.dumps({"id": "names", "error": str(exc)}) + "\n")
        return 0
    except Exception as exc:  # a zip Python's zipfile cannot take either
        what = f"{config['path']}: not a readable .xlsx workbook ({first_line(exc)})"
        sys.stdout.write(json.dumps({"id": "names", "error": what}) + "\n")
        return 0
    reader = child.readers.get()
    child.readers.put(reader)
    return run(child, list(reader.sheet_names))


def run(child: Child, names: list[str]) -> int:
    child.say({"id": "names", "names": names})
    requests: queue.SimpleQueue = queue.SimpleQueue()
    count = child.readers_wanted
    threads = [threading.Thread(target=child.serve, args=(requests,)) for _ in range(count)]
    for thread in threads:
        thread.start()
    for line in sys.stdin:
        requests.put(json.loads(line))
    requests.put(None)
    for thread in threads:
        thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
