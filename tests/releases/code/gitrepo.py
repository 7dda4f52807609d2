"""Real git repositories for the tests, built with the git command."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


class GitRepo:
    """A working repository in a temporary folder; every commit gets a later, fixed time."""

    def __init__(self, path: Path, branch: str = "main") -> None:
        self.path = path
        self.clock = 1_700_000_000
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", branch)
        self.git("config", "user.name", "Dana Developer")
        self.git("config", "user.email", "dana@example.com")
        self.git("config", "commit.gpgsign", "false")
        self.git("config", "tag.gpgsign", "false")

    def git(self, *args: str, stdin: str | None = None) -> str:
        self.clock += 60
        env = {
            **os.environ, "GIT_AUTHOR_DATE": f"{self.clock} +0000", "GIT_COMMITTER_DATE": f"{self.clock} +0000",
            "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
        }
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=env, capture_output=True, text=True, check=False, input=stdin
        )
        if done.returncode:
            raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
        return done.stdout.strip()

    def commit(self, message: str, *, file: str | None = None, content: str | None = None) -> str:
        """Commit a change (to `file`, by default one named after the message) and return its sha."""
        name = file or f"f{abs(hash(message)) % 10_000_000}.txt"
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        previous = target.read_text() if target.exists() else ""
        target.write_text(previous + (content if content is not None else f"{message}\n"))
        self.git("add", name)
        self.git("commit", "-q", "-F", "-", stdin=message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def branch(self, name: str, start: str = "HEAD") -> None:
        self.git("checkout", "-q", "-b", name, start)

    def checkout(self, name: str) -> None:
        self.git("checkout", "-q", name)

    def tag(self, name: str, ref: str = "HEAD", *, annotated: bool = False) -> None:
        if annotated:
            self.git("tag", "-a", name, "-m", f"Release {name}", ref)
        else:
            self.git("tag", name, ref)

    def cherry_pick(self, sha: str, *, x: bool = True) -> str:
        self.git("cherry-pick", *(["-x"] if x else []), sha)
        return self.head()

    def merge(self, branch: str, message: str = "Merge") -> str:
        self.git("merge", "-q", "--no-ff", "-m", message, branch)
        return self.head()
