"""The small framework the monitoring checks share: a context, a failure type, command running."""

import os
import subprocess


class CheckFailed(Exception):
    """A check found a problem; the message says what and where (one problem per line)."""


class CheckSkipped(Exception):
    """A check cannot run here (a tool is missing); the message says which and how to get it."""


def fail_if(problems, heading=None):
    """Raise CheckFailed listing `problems` (a list of strings) if there are any."""
    if problems:
        lines = ([heading] if heading else []) + [f"  - {problem}" for problem in problems]
        raise CheckFailed("\n".join(lines))


class Context:
    """Where the repository is and how the checks are configured."""

    def __init__(self, root, golden=(), families_from_readme=False, with_servers=True, python="python3"):
        self.root = root
        self.golden = list(golden)
        self.families_from_readme = families_from_readme
        self.with_servers = with_servers
        self.python = python

    def path(self, *parts):
        return os.path.join(self.root, *parts)


def run(command, timeout=120, cwd=None, env=None):
    """Run a command with a deadline; return (exit status, combined output). Never raises on a
    non-zero exit; raises CheckFailed if the command cannot start or exceeds its deadline."""
    try:
        completed = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, timeout=timeout)
    except FileNotFoundError:
        raise CheckFailed(f"{command[0]}: not found")
    except subprocess.TimeoutExpired as expired:
        output = expired.stdout or ""
        if isinstance(output, bytes):
            output = output.decode(errors="replace")
        raise CheckFailed(f"{' '.join(command)}: no result within {timeout}s\n{output[-2000:]}")
    return completed.returncode, completed.stdout


def require_success(command, timeout=120, cwd=None, env=None):
    """Run a command; CheckFailed with its output if it exits non-zero. Returns the output."""
    status, output = run(command, timeout=timeout, cwd=cwd, env=env)
    if status != 0:
        raise CheckFailed(f"{' '.join(command)} exited {status}:\n{output.strip()[-4000:]}")
    return output
