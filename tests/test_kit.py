"""The conformance kit as a user meets it: the default run, exit codes, reports, options.

Kit runs are subprocesses (``python -m pytest --pyargs conformance ...``), as a
user would start them; servers come from tests/servers or the reference models.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given

from conformance.jsonvalue import json_equal
from conformance.specdata import validator
from conformance.strategies import encodings, json_values, non_object_values, request_body
from conformance.wire import render_bytes
from tests.support import running_server

SERVERS = Path(__file__).resolve().parent / "servers"
pytestmark = pytest.mark.timeout(300)


def kit(*args: str, cwd: Path, timeout: float = 240, **env: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "pytest", "--pyargs", "conformance", "-p", "no:cacheprovider", "-q", *args]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LPJ_")} | env
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=cwd, check=False, env=environment)


def server_cmd(name: str) -> str:
    return f"{sys.executable} {SERVERS / name} {{port}}"


def test_default_run_passes_all_six_reference_models(tmp_path: Path) -> None:
    done = kit("--report-json", str(tmp_path / "r.json"), "--report-md", str(tmp_path / "r.md"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    report = json.loads((tmp_path / "r.json").read_text())
    assert set(report["targets"]) == {"single", "threaded", "forking", "prefork", "evented", "prefork-evented"}
    statuses = {r["status"] for req in report["requirements"] for r in req["results"].values()}
    assert statuses <= {"pass", "-"}, statuses
    assert report["characterisation"]["single"]["concurrency"]["class"] == "sequential"
    assert report["characterisation"]["prefork"]["concurrency"] == {"class": "bounded", "connections": 2}
    assert "| LPJ-FRAME-2 | MUST |" in (tmp_path / "r.md").read_text()
    assert "LPJ-RPC/1 requirement matrix" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "nonsense"], "expected HOST:PORT"),
        (["--target", "127.0.0.1:1"], "cannot connect to 127.0.0.1:1"),
        (["--requirement", "LPJ-NOPE-1"], "no such requirement"),
        (["-k", "no_case_has_this_name"], "no case selected"),
        (["--target", "127.0.0.1:1", "--target-cmd", "x {port}"], "not both"),
    ],
)
def test_user_mistakes_give_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = kit(*args, cwd=tmp_path, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_failure_report_names_requirement_bytes_and_replay(tmp_path: Path) -> None:
    done = kit(
        "--target-cmd",
        server_cmd("broken_int32_wrap.py"),
        "--requirement",
        "LPJ-PING-2",
        "--junitxml",
        str(tmp_path / "j.xml"),
        cwd=tmp_path,
    )
    assert done.returncode == 1
    out = done.stdout
    assert "LPJ-PING-2 (MUST, server): Integers within" in out
    assert "expected:" in out and "actual:" in out and "wire transcript" in out
    assert "lpj replay 127.0.0.1:" in out
    properties = {(p.get("name"), p.get("value")) for p in ET.parse(tmp_path / "j.xml").iter("property")}
    assert ("violated", "LPJ-PING-2") in properties and ("requirement", "LPJ-PING-2") in properties


def test_should_violations_warn_and_fail_only_under_strict(tmp_path: Path) -> None:
    lenient = kit("--target-cmd", server_cmd("broken_bom_accepted.py"), "--requirement", "LPJ-JSON-4", cwd=tmp_path)
    assert lenient.returncode == 0, lenient.stdout[-3000:]
    assert "WARN" in lenient.stdout
    strict = kit(
        "--target-cmd", server_cmd("broken_bom_accepted.py"), "--requirement", "LPJ-JSON-4", "--strict", cwd=tmp_path
    )
    assert strict.returncode == 1


def test_expected_failures_baseline_and_stale_entries(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.txt"
    baseline.write_text("test_vector[broken_unknown_32600.py-unknown-method-gets-method-not-found]  # known\n")
    args = ["--target-cmd", server_cmd("broken_unknown_32600.py"), "-k", "unknown-method-gets-method-not-found"]
    known = kit(*args, "--expected-failures", str(baseline), cwd=tmp_path)
    assert known.returncode == 0, known.stdout[-3000:]
    baseline.write_text("test_vector[correct_extra_members.py-unknown-method-gets-method-not-found]\n")
    stale = kit(
        "--target-cmd",
        server_cmd("correct_extra_members.py"),
        "-k",
        "unknown-method-gets-method-not-found",
        "--expected-failures",
        str(baseline),
        cwd=tmp_path,
    )
    assert stale.returncode == 1 and "XPASS" in stale.stdout


def test_a_server_that_dies_is_blamed_on_the_case_and_restarted(tmp_path: Path) -> None:
    done = kit(
        "--target-cmd",
        server_cmd("broken_exit_on_unknown.py"),
        "--requirement",
        "LPJ-ERR-2",
        "--report-json",
        str(tmp_path / "r.json"),
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert "the server stopped answering after this case" in done.stdout
    assert "the kit restarted it" in done.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    status = {r["id"]: next(iter(r["results"].values()))["status"] for r in report["requirements"]}
    assert status["LPJ-TRANS-2"] == "FAIL"


def test_big_endian_server_is_diagnosed_in_those_words(tmp_path: Path) -> None:
    done = kit("--target-cmd", server_cmd("broken_big_endian.py"), cwd=tmp_path)
    assert done.returncode == 1
    assert "BIG-ENDIAN" in done.stdout and "blocked" in done.stdout


def test_lpj_replay_shows_what_comes_back(tmp_path: Path) -> None:
    with running_server("threaded") as server:
        body = b'{"in":"ping","params":"hi"}'
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "reference",
                "replay",
                f"{server.host}:{server.port}",
                (len(body).to_bytes(4, "little") + body).hex(),
                "--half-close",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert '{"out":"pong","result":"hi"}' in done.stdout and "END OF FILE" in done.stdout


def test_json_equal_is_the_specs() -> None:
    assert json_equal(1, 1.0) and json_equal(0, -0.0) and json_equal(0.1, 0.10000000000000001)
    assert json_equal({"a": [1, "x"]}, {"a": [1.0, "x"]})
    assert not json_equal(True, 1) and not json_equal(None, 0) and not json_equal("1", 1)
    assert not json_equal([1, 2], [2, 1])


def test_transcripts_show_frames_and_partial_bytes() -> None:
    frame = b"\x02\x00\x00\x001x"
    assert render_bytes(frame) == "[len=2] hex 31 78"
    assert render_bytes(b"\x0b\x00\x00\x00{}").startswith("raw 6 bytes (prefix says len=11")


def test_lpj_conform_wraps_the_kit(tmp_path: Path) -> None:
    with running_server("evented") as server:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "reference",
                "conform",
                f"{server.host}:{server.port}",
                "--requirement",
                "LPJ-FRAME-2",
                "--no-characterise",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
            check=False,
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert f"target: {server.host}:{server.port}" in done.stdout
    assert "verdict: CONFORMANT" in done.stdout
    unreachable = subprocess.run(
        [sys.executable, "-m", "reference", "conform", "127.0.0.1:1"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert unreachable.returncode == 2 and "cannot connect to 127.0.0.1:1" in unreachable.stdout + unreachable.stderr


@given(params=json_values(), style=encodings)
def test_kit_strategies_make_schema_valid_requests(params: object, style: str) -> None:
    """The kit writes its strategies by hand (no hypothesis-jsonschema); jsonschema double-checks them."""
    request = json.loads(request_body(params, style))
    assert not list(validator("request").iter_errors(request))
    assert json_equal(request["params"], params)


@given(value=non_object_values)
def test_kit_invalid_request_strategy_is_schema_invalid(value: object) -> None:
    assert list(validator("request").iter_errors(value))


def test_settings_come_from_command_line_environment_or_ini(tmp_path: Path) -> None:
    selected = ("-v", "--models", "evented", "--requirement", "LPJ-FRAME-2", "--no-characterise")
    from_env = kit(*selected, "-o", "lpj_io_timeout=2", cwd=tmp_path, LPJ_TIMEOUT_SCALE="3", LPJ_EXAMPLES="7")
    assert from_env.returncode == 0, from_env.stdout[-3000:]
    header = from_env.stdout
    assert "io-timeout 6.0s" in header and "timeout-scale 3" in header and "7 hypothesis examples" in header
    bad = kit(*selected, cwd=tmp_path, LPJ_IO_TIMEOUT="soon")
    assert bad.returncode == 2 and "$LPJ_IO_TIMEOUT (like --io-timeout) must be a float" in bad.stdout + bad.stderr
