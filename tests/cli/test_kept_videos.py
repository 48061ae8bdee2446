"""The command line and kept videos: `history` says which are kept, `download` uses the kept copy when
the link is dead, `keep --pin`, `export`, and the opt-out; each command a separate process."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from hfwidgets.emulator import EmulatorServer, serve

from .cli_support import Command, is_mp4


def run_one(command: Command, cat: Path, *extra: str) -> str:
    """`hfwidgets run` and the task id it made."""
    done = command("run", str(cat), "-m", "Face Punch", "--json", "-q", *extra)
    assert done.returncode == 0, done.stderr
    task_id: str = json.loads(done.stdout)["task"]["id"]
    return task_id


def history_row(command: Command, task_id: str) -> list[str]:
    done = command("history")
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    return next(row for row in rows if row[1] == task_id)


def kept_files(command: Command) -> list[Path]:
    return sorted((Path(command.env["HFWIDGETS_HOME"]) / "videos").glob("*.mp4"))


def test_a_video_made_from_the_command_line_is_kept_and_saved_when_its_link_died(
    hfwidgets_cmd: Command, private_emulator: EmulatorServer, cat: Path
) -> None:
    task_id = run_one(hfwidgets_cmd, cat)
    # The command returned only once the copy was on disk.
    [kept] = kept_files(hfwidgets_cmd)
    assert history_row(hfwidgets_cmd, task_id)[6] == "kept"
    private_emulator.faults.expire_links(0)  # the provider's link expired

    saved = hfwidgets_cmd("download", task_id, "--out", "again.mp4")
    assert saved.returncode == 0, saved.stderr
    path = hfwidgets_cmd.cwd / "again.mp4"
    assert saved.stdout.strip() == str(path) and is_mp4(path)
    assert path.read_bytes() == kept.read_bytes()
    assert saved.stderr.count("copy kept at") == 1 and "HTTP 404" in saved.stderr

    pinned = hfwidgets_cmd("keep", "--pin", task_id)
    assert pinned.returncode == 0, pinned.stderr
    assert pinned.stdout.split("\t")[:2] == [task_id, "pinned"]
    assert "1 kept videos" in pinned.stderr and "2048.0 MB" in pinned.stderr
    assert history_row(hfwidgets_cmd, task_id)[6] == "pinned"
    listed = hfwidgets_cmd.json("history", "--json")
    assert listed[0]["video_path"] == str(kept) and listed[0]["pinned"] is True


def test_download_of_a_task_the_service_forgot_uses_the_journal_and_the_kept_copy(
    hfwidgets_cmd: Command, private_emulator: EmulatorServer, cat: Path, tmp_path: Path
) -> None:
    task_id = run_one(hfwidgets_cmd, cat)
    [kept] = kept_files(hfwidgets_cmd)
    private_emulator.faults.expire_links(0)
    with serve(render=False) as elsewhere:  # a service that never heard of the task (feed: 404)
        forgetful = Command(elsewhere, tmp_path)  # the same home, so the same journal
        saved = forgetful("download", task_id, "-o", "forgotten.mp4")
        assert saved.returncode == 0, saved.stderr
        assert (forgetful.cwd / "forgotten.mp4").read_bytes() == kept.read_bytes()
        assert "using the journal" in saved.stderr and saved.stderr.count("copy kept at") == 1

        kept.unlink()  # removed by hand: both are gone now, and the error says so
        failed = forgetful("download", task_id, "-o", "nothing.mp4")
    assert failed.returncode == 1
    assert f"the copy kept at {kept} was removed" in failed.stderr and "HTTP 404" in failed.stderr
    assert not (forgetful.cwd / "nothing.mp4").exists()


def test_export_writes_the_kept_videos_a_manifest_and_an_offline_page(
    hfwidgets_cmd: Command, private_emulator: EmulatorServer, cat: Path
) -> None:
    first = run_one(hfwidgets_cmd, cat, "--seed", "11")
    hfwidgets_cmd.env["HFWIDGETS_KEEP_VIDEOS"] = "0"
    second = run_one(hfwidgets_cmd, cat, "--seed", "12")  # not kept
    failing = hfwidgets_cmd.env.pop("HFWIDGETS_KEEP_VIDEOS")
    assert failing == "0"
    private_emulator.faults.task_outcome("failed")
    assert hfwidgets_cmd("run", str(cat), "-m", "Face Punch", "-q").returncode == 1

    done = hfwidgets_cmd("export", "batch.zip", "--status", "completed", "--since", "2020-01-01")
    assert done.returncode == 0, done.stderr
    archive = Path(done.stdout.strip())
    assert archive == hfwidgets_cmd.cwd / "batch.zip"
    assert "exported 2 tasks, 1 with their video" in done.stderr
    with zipfile.ZipFile(archive) as zipped:
        names = set(zipped.namelist())
        manifest = json.loads(zipped.read("manifest.json"))
        page = zipped.read("index.html").decode()
        assert zipped.read(f"videos/{first}.mp4") == kept_files(hfwidgets_cmd)[0].read_bytes()
    assert names == {"manifest.json", "index.html", f"videos/{first}.mp4"}
    entries = {entry["id"]: entry for entry in manifest["tasks"]}
    assert set(entries) == {first, second}  # the failed task is left out by --status
    assert entries[first]["file"] == f"videos/{first}.mp4" and entries[first]["seed"] == 11
    assert entries[first]["model"] == "lite" and entries[first]["motion"] == "Face Punch"
    assert entries[first]["cost"] == 5 and entries[first]["status"] == "completed"
    assert entries[second]["file"] is None and entries[second]["video_url"].endswith(f"{second}.mp4")
    assert "not kept" in entries[second]["note"]
    assert f'src="videos/{first}.mp4"' in page and "data:image/webp;base64," in page

    later = hfwidgets_cmd("export", "none.zip", "--since", "2999-01-01")
    assert later.returncode == 0 and "exported 0 tasks" in later.stderr


def test_opting_out_keeps_no_file(hfwidgets_cmd: Command, cat: Path) -> None:
    hfwidgets_cmd.env["HFWIDGETS_KEEP_VIDEOS"] = "0"
    task_id = run_one(hfwidgets_cmd, cat)
    assert kept_files(hfwidgets_cmd) == []
    assert history_row(hfwidgets_cmd, task_id)[6] == "-"
    refused = hfwidgets_cmd("keep", "--pin", task_id)
    assert refused.returncode == 2 and "task_id" in refused.stderr
