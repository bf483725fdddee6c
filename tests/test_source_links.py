"""Nothing outside a sources folder is ever read or stored (issue 21, item 5). A link at the
current workbook's path pointing out of the folder (another workbook, /proc/self/environ),
a FIFO there, a link planted in the upload store or where accepted copies are kept: the
preview, adoption, accept and recovery refuse it in one line, never block, and no stored
version ever holds the outside bytes. Real files, real previews, no mocks."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files import File

from pipeline_ops.models import WorkbookVersion
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.intake.decide import accept
from pipeline_ops.pipeline.intake.recovery import recover_versions
from pipeline_ops.pipeline.intake.versions import Status, claim, run_preview, store
from pipeline_ops.pipeline.workbook.sources import file_sha256, open_source, source_sha256
from tests.corpus import hostile
from tests.test_intake import intake_process, offered, place_current
from tests.test_intake_recovery import dead_worker
from tests.workbooks import build_workbook, order

pytestmark = pytest.mark.django_db
ENTITY, YEAR = "IONS", 2026


def current(data_dir: Path) -> Path:
    return data_dir / "sources" / ENTITY / f"{ENTITY}-{YEAR}.xlsx"


def outside_workbook(tmp_path: Path) -> Path:
    """A valid workbook outside every sources folder: only the folder check can refuse it."""
    secret = tmp_path / "outside" / "secret.xlsx"
    build_workbook(secret, months={2: [order(student="Rahasia Sekali")]})
    return secret


def link(at: Path, target: Path) -> None:
    at.parent.mkdir(parents=True, exist_ok=True)
    at.unlink(missing_ok=True)
    at.symlink_to(target)


def preview_upload(entity, path: Path) -> WorkbookVersion:
    with open(path, "rb") as handle:
        version = store(entity, YEAR, File(handle), path.name)
    return run_preview(version.pk)


def stored_bytes(data_dir: Path) -> list[bytes]:
    """Every version's stored file and every kept copy in sources/.versions."""
    media = Path(settings.MEDIA_ROOT)
    kept = data_dir / "sources" / ENTITY / ".versions"
    files = [*media.rglob("*.xlsx"), *kept.glob("*")]
    return [p.read_bytes() for p in files if p.is_file()]


@pytest.mark.parametrize("target", ["a workbook", "/proc/self/environ"])
def test_a_link_out_of_the_sources_folder_is_never_adopted_nor_stored(
    target, entity, data_dir, tmp_path
):
    secret = outside_workbook(tmp_path) if target == "a workbook" else Path(target)
    link(current(data_dir), secret)
    upload = offered(tmp_path)

    version = preview_upload(entity, upload)

    assert version.status == Status.FAILED
    assert "\n" not in version.error
    assert f"{current(data_dir)}: is a link to" in version.error
    assert "outside the sources folder" in version.error
    assert not WorkbookVersion.objects.filter(status=Status.ACCEPTED).exists()
    assert stored_bytes(data_dir) == [upload.read_bytes()], "only the upload is stored"


@pytest.mark.django_db(transaction=True)
def test_a_fifo_at_the_current_workbooks_path_never_blocks_the_preview(entity, data_dir, tmp_path):
    hostile.fifo(current(data_dir).parent.mkdir(parents=True) or current(data_dir))

    # The deadline: before open_source, adopting or hashing it waited for a writer forever.
    proc = intake_process(data_dir, offered(tmp_path), timeout=60)

    assert proc.returncode == 1, proc.stderr
    assert "is a named pipe (FIFO), not a workbook file" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not WorkbookVersion.objects.filter(status=Status.ACCEPTED).exists()


def test_a_link_to_a_workbook_inside_the_sources_folder_is_still_adopted(
    entity, data_dir, tmp_path
):
    hostile.link_inside_sources(current(data_dir))
    target = current(data_dir).parent / "IONS-2026-v2.xlsx"

    version = preview_upload(entity, offered(tmp_path))

    assert version.status == Status.PREVIEWED, version.error
    adopted = WorkbookVersion.objects.get(status=Status.ACCEPTED)
    assert adopted.upload.read() == target.read_bytes()
    assert version.base_sha256 == adopted.sha256 == file_sha256(current(data_dir))


def test_accept_refuses_a_current_workbook_turned_into_a_link_out_after_its_preview(
    entity, data_dir, tmp_path
):
    place_current(data_dir)
    version = preview_upload(entity, offered(tmp_path))
    secret = outside_workbook(tmp_path)
    link(current(data_dir), secret)
    claim(version, Status.PREVIEWED, Status.ACCEPTING)

    with pytest.raises(PipelineError, match="outside the sources folder"):
        accept(version.pk)

    version.refresh_from_db()
    assert version.status == Status.PREVIEWED and "outside the sources folder" in version.error
    assert current(data_dir).resolve() == secret.resolve(), "not replaced unseen"
    assert secret.read_bytes() not in stored_bytes(data_dir)


def test_a_link_planted_where_the_accepted_copy_is_kept_is_replaced_by_the_accepted_bytes(
    entity, data_dir, tmp_path
):
    place_current(data_dir)
    upload = offered(tmp_path, name="fixed.xlsx")
    version = preview_upload(entity, upload)
    kept = current(data_dir).parent / ".versions" / f"{version.sha256}.xlsx"
    link(kept, outside_workbook(tmp_path))
    claim(version, Status.PREVIEWED, Status.ACCEPTING)

    accept(version.pk, queue_sync=False)

    assert not kept.is_symlink() and kept.read_bytes() == upload.read_bytes()


def test_an_upload_swapped_for_a_link_out_of_the_upload_store_is_never_previewed(
    entity, data_dir, tmp_path
):
    with open(offered(tmp_path), "rb") as handle:
        version = store(entity, YEAR, File(handle), "offered.xlsx")
    link(Path(version.upload.path), outside_workbook(tmp_path))

    version = run_preview(version.pk)

    assert version.status == Status.FAILED
    assert "outside the upload folder" in version.error
    assert not version.summary


def test_recovery_never_takes_a_link_out_of_the_folder_for_the_replaced_workbook(
    entity, data_dir, tmp_path
):
    """An accept a dead worker left: the current path links to the version's own upload
    (same bytes, outside sources/). That is not the workbook replaced."""
    place_current(data_dir)
    version = preview_upload(entity, offered(tmp_path))
    WorkbookVersion.objects.filter(pk=version.pk).update(
        status=Status.ACCEPTING, worker=dead_worker()
    )
    link(current(data_dir), Path(version.upload.path))

    recover_versions()

    version.refresh_from_db()
    assert version.status == Status.PREVIEWED and "nothing was replaced" in version.error


def test_only_a_regular_file_inside_its_folder_has_a_source_hash(data_dir, tmp_path):
    folder = current(data_dir).parent
    folder.mkdir(parents=True)
    inside = folder / "IONS-2025.xlsx"
    inside.write_bytes(b"PK inside")
    link(folder / "in.xlsx", inside)
    link(folder / "out.xlsx", outside_workbook(tmp_path))
    os.mkfifo(folder / "fifo.xlsx")
    (folder / "dir.xlsx").mkdir()

    hashes = {p.name: source_sha256(p) for p in sorted(folder.iterdir())}

    assert hashes["in.xlsx"] == hashes["IONS-2025.xlsx"] == file_sha256(inside)
    assert (hashes["out.xlsx"], hashes["fifo.xlsx"], hashes["dir.xlsx"]) == (None, None, None)
    assert source_sha256(folder / "missing.xlsx") is None


def test_a_source_swapped_for_a_link_out_while_it_is_opened_is_never_read(data_dir, tmp_path):
    """A swapper flips the name between a file and a link out, racing every open (the check
    and the open are separate calls): whatever open_source read was inside the folder."""
    folder = current(data_dir).parent
    folder.mkdir(parents=True)
    path = folder / "IONS-2026.xlsx"
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"SECRET")
    path.write_bytes(b"INSIDE")
    stop = threading.Event()

    def swap() -> None:
        while not stop.is_set():
            (folder / ".l").symlink_to(secret)
            os.replace(folder / ".l", path)
            time.sleep(0)  # let an open run against each state, and across each change
            (folder / ".f").write_bytes(b"INSIDE")
            os.replace(folder / ".f", path)
            time.sleep(0)

    swapper = threading.Thread(target=swap)
    swapper.start()
    read, refused = [], 0
    deadline = time.monotonic() + 10
    try:
        while time.monotonic() < deadline and min(len(read), refused) < 200:
            try:
                with open_source(path) as handle:
                    read.append(handle.read())
            except PipelineError:
                refused += 1
    finally:
        stop.set()
        swapper.join(timeout=10)

    assert set(read) <= {b"INSIDE"}, "the outside file was read"
    assert read and refused, "the swap raced the opens both ways"
