"""The header and the binding cannot drift apart silently.

include/execution.h is parsed here; every function it declares must have a
declaration in execution._ffi.FUNCTIONS with the matching ctypes types, every
struct the matching fields, every constant the same value, and the loaded
library must export every declared function.
"""

import dataclasses
import inspect
import re
from ctypes import (
    POINTER,
    c_char_p,
    c_double,
    c_int,
    c_int64,
    c_longlong,
    c_size_t,
    c_uint,
    c_uint64,
    c_void_p,
)
from typing import Any, Dict, List, Tuple

import pytest

import execution
from execution import _ffi
from helpers import REPO

HEADER = REPO / "include" / "execution.h"

_HANDLES = {
    "exec_runtime": _ffi.RuntimePtr,
    "exec_container": _ffi.ContainerPtr,
    "exec_process": _ffi.ProcessPtr,
    "exec_events": _ffi.EventsPtr,
    "exec_pool": _ffi.PoolPtr,
}
_VALUES = {
    "int": c_int,
    "unsigned": c_uint,
    "size_t": c_size_t,
    "long long": c_longlong,
    "int64_t": c_int64,
    "uint64_t": c_uint64,
    "double": c_double,
    "exec_state": c_int,
    "exec_error_code": c_int,
    "exec_log_fn": _ffi.LogFn,
    "exec_runtime_options": _ffi.RuntimeOptions,
    "exec_io": _ffi.IO,
    "exec_image_options": _ffi.ImageOptions,
    "exec_exit": _ffi.ExitStatus,
    "exec_stats": _ffi.Stats,
    "exec_bundle_options": _ffi.BundleOptions,
    "exec_event": _ffi.Event,
    "exec_pull_options": _ffi.PullOptions,
    "exec_pool_options": _ffi.PoolOptions,
    "exec_progress_fn": _ffi.ProgressFn,
}
_STRUCTS = {
    "exec_runtime_options": _ffi.RuntimeOptions,
    "exec_io": _ffi.IO,
    "exec_image_options": _ffi.ImageOptions,
    "exec_exit": _ffi.ExitStatus,
    "exec_stats": _ffi.Stats,
    "exec_bundle_options": _ffi.BundleOptions,
    "exec_event": _ffi.Event,
    "exec_pull_options": _ffi.PullOptions,
    "exec_pool_options": _ffi.PoolOptions,
}
# The C field each field of Limits sets; bundle_init's `terminal` sets the rest.
_LIMITS_FIELDS = {
    "memory": "memory_limit",
    "memory_swap": "memory_swap_limit",
    "cpus": "cpus",
    "cpu_quota": "cpu_quota",
    "cpu_period": "cpu_period",
    "cpu_shares": "cpu_shares",
    "pids": "pids_limit",
}
# The C field each keyword argument of bundle_init sets, after the limits.
_BUNDLE_KEYWORDS = {"userns": "userns", "hardened": "hardened", "tmpfs": "tmpfs"}
# The workload's fields (version 3), by the keyword that sets each: a
# Bridge network sets the ports too.
_WORKLOAD_FIELDS = {
    "env": "env", "cwd": "cwd", "user": "user", "groups": "groups", "hostname": "hostname",
    "mounts": "mounts", "rlimits": "rlimits", "cap_add": "cap_add", "cap_drop": "cap_drop",
    "no_new_privileges": "no_new_privileges", "readonly_rootfs": "readonly_rootfs",
    "network": "network", "ports": "network",
}


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def parse_functions(text: str) -> Dict[str, Tuple[str, List[str]]]:
    """name -> (result type, parameter types) of every function the header declares."""
    code = _strip_comments(text)
    code = re.sub(r"(?m)^\s*#.*$", " ", code)
    code = re.sub(r"typedef\s+(struct|enum)\s*\{.*?\}\s*\w+\s*;", " ", code, flags=re.S)
    out: Dict[str, Tuple[str, List[str]]] = {}
    for m in re.finditer(r"([A-Za-z_][\w\s\*]*?)\b(exec_\w+)\s*\(([^()]*)\)\s*;", code):
        params = [" ".join(p.split()) for p in m.group(3).split(",")]
        if params == ["void"]:
            params = []
        types = [re.sub(r"\s*\b\w+$", "", p) for p in params]
        out[m.group(2)] = (" ".join(m.group(1).split()), types)
    return out


def parse_structs(text: str) -> Dict[str, List[Tuple[str, str]]]:
    """name -> [(type, field)] of every typedef'd struct."""
    code = _strip_comments(text)
    out = {}
    for m in re.finditer(r"typedef\s+struct\s*\{(.*?)\}\s*(\w+)\s*;", code, flags=re.S):
        fields = re.findall(r"([^;]+?)\s*\b(\w+)\s*;", m.group(1))
        out[m.group(2)] = [(" ".join(t.split()), f) for t, f in fields]
    return out


def parse_constants(text: str) -> Dict[str, Any]:
    """name -> value of every numeric or string EXEC_* macro and enum value."""
    code = _strip_comments(text)
    out: Dict[str, Any] = {}
    for name, value in re.findall(r"(?m)^#define\s+(EXEC_\w+)\s+(.+?)\s*$", code):
        num = re.fullmatch(r"\(?\s*(-?\d+)\s*\)?", value)
        if num:
            out[name] = int(num.group(1))
        elif re.fullmatch(r'"[^"]*"', value):
            out[name] = value.strip('"')
    for body in re.findall(r"typedef\s+enum\s*\{(.*?)\}", code, flags=re.S):
        for name, value in re.findall(r"(EXEC_\w+)\s*=\s*(-?\d+)", body):
            out[name] = int(value)
    return out


def ctype(c: str) -> Any:
    """The ctypes type the binding must use for the C type `c`."""
    tokens = [t for t in c.replace("*", " * ").split() if t != "const"]
    stars = tokens.count("*")
    base = " ".join(t for t in tokens if t != "*")
    if base == "void" and stars == 0:
        return None
    t: Any
    if base == "char" and stars:
        t, stars = c_char_p, stars - 1
    elif base == "void" and stars:
        t, stars = c_void_p, stars - 1
    elif base in _HANDLES and stars:
        t, stars = _HANDLES[base], stars - 1
    else:
        t = _VALUES[base]
    for _ in range(stars):
        t = POINTER(t)
    return t


def drift(text: str) -> List[str]:
    """Every difference between the header text and execution._ffi.FUNCTIONS."""
    problems = []
    header = parse_functions(text)
    for name in sorted(set(header) - set(_ffi.FUNCTIONS)):
        problems.append(f"{name}: in the header, not declared in execution/_ffi.py")
    for name in sorted(set(_ffi.FUNCTIONS) - set(header)):
        problems.append(f"{name}: declared in execution/_ffi.py, not in the header")
    for name in sorted(set(header) & set(_ffi.FUNCTIONS)):
        ret, params = header[name]
        restype, argtypes = _ffi.FUNCTIONS[name]
        want = (ctype(ret), tuple(ctype(p) for p in params))
        if (restype, tuple(argtypes)) != want:
            problems.append(f"{name}: declared {(restype, argtypes)}, header says {want}")
    return problems


@pytest.fixture(scope="module")
def header() -> str:
    if not HEADER.is_file():
        pytest.fail(f"{HEADER} is missing: the drift test runs in a checkout")
    return HEADER.read_text()


def test_every_header_function_is_declared_with_its_types(header: str) -> None:
    assert drift(header) == []


def test_parser_sees_the_whole_header(header: str) -> None:
    functions = parse_functions(header)
    assert len(functions) >= 35
    assert functions["exec_container_exec"] == (
        "int",
        ["exec_container *", "const char *", "const char *", "const exec_io *", "exec_process **"],
    )
    assert functions["exec_bundle_init"][1][1] == "const char *const *"
    assert functions["exec_version"] == ("const char *", [])


def test_drift_catches_a_new_function(header: str) -> None:
    added = header.replace(
        "#ifdef __cplusplus\n}",
        "int exec_container_frobnicate(exec_container *c, int how);\n#ifdef __cplusplus\n}",
    )
    assert drift(added) == [
        "exec_container_frobnicate: in the header, not declared in execution/_ffi.py"
    ]


def test_drift_catches_a_changed_signature(header: str) -> None:
    changed = header.replace(
        "int exec_container_kill(exec_container *c, int signal, int all);",
        "int exec_container_kill(exec_container *c, unsigned signal, int all);",
    )
    assert changed != header
    assert len(drift(changed)) == 1 and drift(changed)[0].startswith("exec_container_kill:")


def test_structs_match(header: str) -> None:
    structs = parse_structs(header)
    assert set(structs) == set(_STRUCTS)
    for name, fields in structs.items():
        want = [(f, ctype(t)) for t, f in fields]
        assert list(_STRUCTS[name]._fields_) == want, name


def test_dataclasses_cover_the_structs_they_read(header: str) -> None:
    structs = parse_structs(header)
    assert list(execution.Exit._fields) == [f for _, f in structs["exec_exit"] if f != "version"]
    for dc, name in ((execution.Stats, "exec_stats"), (execution.Event, "exec_event")):
        c_fields = [f for _, f in structs[name] if f != "version"]
        assert [f.name for f in dataclasses.fields(dc)] == c_fields, name


def test_limits_cover_the_bundle_options(header: str) -> None:
    c_fields = [f for _, f in parse_structs(header)["exec_bundle_options"]]
    assert [f.name for f in dataclasses.fields(execution.Limits)] == list(_LIMITS_FIELDS)
    # bundle_init's keyword arguments set the fields after the limits.
    assert c_fields == ["version", "terminal", *_LIMITS_FIELDS.values(), *_BUNDLE_KEYWORDS.values(), *_WORKLOAD_FIELDS]
    for fn in (execution.bundle_init, execution.bundle_from_image):
        params = inspect.signature(fn).parameters
        for arg in [*_BUNDLE_KEYWORDS, *_WORKLOAD_FIELDS.values()]:
            assert params[arg].kind == inspect.Parameter.KEYWORD_ONLY, arg


def test_userns_modes_match(header: str) -> None:
    constants = parse_constants(header)
    modes = {k[len("EXEC_USERNS_") :]: v for k, v in constants.items() if k.startswith("EXEC_USERNS_")}
    assert {m.name: m.value for m in execution.UserNS} == modes


def test_unlimited_is_uint64_max(header: str) -> None:
    assert re.search(r"(?m)^#define EXEC_UNLIMITED UINT64_MAX$", header)
    assert _ffi.EXEC_UNLIMITED == 2**64 - 1


def test_constants_match(header: str) -> None:
    constants = parse_constants(header)
    assert len(constants) >= 25
    for name, value in constants.items():
        assert getattr(_ffi, name) == value, name
    for code in execution.ErrorCode:
        assert constants["EXEC_" + ("OK" if code.name == "OK" else code.name)] == code
    for state in execution.State:
        assert constants["EXEC_STATE_" + state.name] == state
    for kind in execution.EventType:
        assert constants["EXEC_EVENT_" + kind.name] == kind
    assert len(execution.EventType) == len([n for n in constants if re.fullmatch(r"EXEC_EVENT_[A-Z_]+", n) and n != "EXEC_EVENT_VERSION"])


def test_library_exports_every_declaration() -> None:
    lib = _ffi.lib()
    for name in _ffi.FUNCTIONS:
        assert hasattr(lib, name), name


def test_library_version_is_the_header_version(header: str) -> None:
    assert execution.version() == parse_constants(header)["EXEC_VERSION"]
