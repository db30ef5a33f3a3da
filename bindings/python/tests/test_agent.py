"""The exec agent: execs like the container's process are forks by an agent
inside the container; others, and every exec with agent=False, runtime calls.
The tests around them run in both modes (conftest.pytest_generate_tests)."""

from typing import Dict, Optional, Tuple

import pytest

import execution
from helpers import sh

# Counts the container's agents (processes run as /proc/self/fd/3); with
# KILL set, kills them.
AGENTS = (
    "n=0; for p in /proc/[0-9]*; do "
    'if [ "$(tr -d \'\\0\' < $p/cmdline 2>/dev/null)" = /proc/self/fd/3 ]; then '
    'n=$((n+1)); [ -z "$KILL" ] || kill -9 ${p#/proc/}; fi; done; echo $n'
)


def output(
    c: execution.Container[bytes],
    script: str,
    env: Optional[Dict[str, str]] = None,
    user: Optional[Tuple[int, int]] = None,
) -> bytes:
    with c.exec(sh(script), stdout=execution.PIPE, env=env, user=user) as p:
        out, _ = p.communicate(timeout=30)
        assert p.wait() == 0 and isinstance(out, bytes)
        return out


def agents_expected(request: pytest.FixtureRequest) -> bytes:
    return b"1\n" if request.node.callspec.params["rt"] == "agent" else b"0\n"


def test_an_exec_leaves_the_agent_for_the_next(
    sleeper: execution.Container[bytes], request: pytest.FixtureRequest
) -> None:
    assert output(sleeper, "true") == b""
    assert output(sleeper, AGENTS) == agents_expected(request)


def test_another_user_goes_through_the_runtime(
    sleeper: execution.Container[bytes], request: pytest.FixtureRequest
) -> None:
    nobody = (65534, 65534)
    assert output(sleeper, "id -u; id -g", user=nobody) == b"65534\n65534\n"
    assert output(sleeper, AGENTS, user=nobody) == b"0\n"
    assert output(sleeper, AGENTS) == agents_expected(request)
    # That user sees an agent where one runs.
    assert output(sleeper, AGENTS, user=nobody) == agents_expected(request)


def test_an_agent_killed_inside_is_replaced(
    sleeper: execution.Container[bytes], request: pytest.FixtureRequest
) -> None:
    output(sleeper, "true")
    assert output(sleeper, AGENTS, env={"KILL": "1", "PATH": "/bin"}) == agents_expected(request)
    for _ in range(2):
        assert output(sleeper, "echo again") == b"again\n"
    assert output(sleeper, AGENTS) == agents_expected(request)
