"""Reading git repositories: the portal's own bare mirror of each one, through pygit2.

Why pygit2 (libgit2): measured on a 20,000-commit repository, walking every
commit with its message and author took 0.13 s with pygit2, 0.10 s with
`git log` (plus parsing its output) and 0.81 s with dulwich; pygit2 fetches
over HTTPS and SSH with an in-memory credential, where the git command needs
helper processes and files for it, and answers ancestry questions in-process.
Patch ids are the exception: libgit2 diffs each commit in-process at about
1 ms a commit (20 s for 20,000), while `git log -p | git patch-id --stable`
streams all 20,000 in under a second, so `patch_ids` runs the git command on
the mirror. See docs/code-traceability.md.

Nothing here touches the database; releases.code.services.scan does.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pygit2
from django.conf import settings
from pygit2.enums import CredentialType, FetchPrune, SortMode

from core.redact import redact

REFSPECS = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]
# A commit message is data from outside: kept (and read for keys) up to this many characters.
MESSAGE_LIMIT = 20_000
SUBJECT_LIMIT = 300
PICKED_RE = re.compile(r"\(cherry picked from commit ([0-9a-f]{40})\)")


class GitError(Exception):
    """A fetch or read failed; the message is safe to show (it never carries the credential)."""


@dataclass(frozen=True)
class CommitData:
    sha: str
    parents: tuple[str, ...]
    subject: str
    message: str
    author_name: str
    author_email: str
    authored_at: datetime
    committed_at: datetime
    picked_from: str


def mirror_path(repository_id: int) -> Path:
    return Path(settings.HANDOFF_GIT_MIRRORS) / f"{repository_id}.git"


class _Credentials(pygit2.RemoteCallbacks):
    """Hands libgit2 the repository's credential once; a second request means it was refused."""

    def __init__(self, credential: str) -> None:
        super().__init__()
        self._credential = credential
        self.asked = 0

    def credentials(self, url, username_from_url, allowed_types):
        self.asked += 1
        if self.asked > 1:
            raise GitError("The credential was refused.")
        secret = self._credential.strip()
        if allowed_types & CredentialType.SSH_KEY and "PRIVATE KEY" in secret:
            return pygit2.KeypairFromMemory(username_from_url or "git", None, secret + "\n", "")
        if allowed_types & CredentialType.USERPASS_PLAINTEXT:
            user, _, token = secret.rpartition(":") if ":" in secret else ("git", "", secret)
            return pygit2.UserPass(user or "git", token)
        raise GitError("The credential does not suit this URL (a token for https://, a private key for ssh://).")


def _safe(exc: Exception, credential: str) -> str:
    return redact(str(exc) or exc.__class__.__name__, credential)[:500]


def _callbacks(credential: str) -> _Credentials | None:
    return _Credentials(credential) if credential.strip() else None


def _remote_url(url: str) -> str:
    # libgit2 reads a plain path itself; file:// is accepted too.
    return url


def probe(*, url: str, credential: str, scratch: Path) -> None:
    """Raise GitError unless `url` answers as a git repository with this credential."""
    scratch.mkdir(parents=True, exist_ok=True)
    path = scratch / "probe.git"
    shutil.rmtree(path, ignore_errors=True)
    try:
        repo = pygit2.init_repository(str(path), bare=True)
        remote = repo.remotes.create_anonymous(_remote_url(url))
        remote.list_heads(callbacks=_callbacks(credential))
    except GitError:
        raise
    except Exception as exc:  # noqa: BLE001 - pygit2 raises GitError, ValueError, KeyError...: all mean "not usable"
        raise GitError(_safe(exc, credential)) from None
    finally:
        shutil.rmtree(path, ignore_errors=True)


def fetch(*, repository_id: int, url: str, credential: str) -> pygit2.Repository:
    """The mirror, brought up to date: every branch and tag, pruned (a force-push or a deleted branch is followed)."""
    path = mirror_path(repository_id)
    try:
        if (path / "HEAD").exists():
            repo = pygit2.Repository(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            repo = pygit2.init_repository(str(path), bare=True)
        if "origin" in [r.name for r in repo.remotes]:
            if repo.remotes["origin"].url != url:
                repo.remotes.set_url("origin", url)
        else:
            repo.remotes.create("origin", url, fetch=REFSPECS[0])
        repo.remotes["origin"].fetch(REFSPECS, callbacks=_callbacks(credential), prune=FetchPrune.PRUNE)
        return repo
    except GitError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of libgit2 is a fetch that failed, shown on the health
        raise GitError(_safe(exc, credential)) from None


def open_mirror(repository_id: int) -> pygit2.Repository | None:
    path = mirror_path(repository_id)
    return pygit2.Repository(str(path)) if (path / "HEAD").exists() else None


def read_refs(repo: pygit2.Repository) -> dict[str, str]:
    """Branches and tags -> the commit each names (annotated tags peeled)."""
    refs: dict[str, str] = {}
    for name in repo.references:
        if not name.startswith(("refs/heads/", "refs/tags/")):
            continue
        try:
            target = repo.references[name].peel(pygit2.Commit)
        except (pygit2.GitError, ValueError, KeyError, pygit2.InvalidSpecError):
            continue  # a tag of a tree or blob: not a release
        refs[name] = str(target.id)
    return refs


def _when(seconds: int, offset_minutes: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone(timedelta(minutes=offset_minutes)))


def commit_data(commit: pygit2.Commit) -> CommitData:
    raw = commit.raw_message.decode("utf-8", "replace") if commit.raw_message else ""
    message = raw[:MESSAGE_LIMIT]
    subject = (message.strip().splitlines() or [""])[0][:SUBJECT_LIMIT]
    picked = PICKED_RE.findall(message)
    author = commit.author
    return CommitData(
        sha=str(commit.id),
        parents=tuple(str(p) for p in commit.parent_ids),
        subject=subject,
        message=message,
        author_name=(author.raw_name.decode("utf-8", "replace") if author.raw_name else "")[:200],
        author_email=(author.raw_email.decode("utf-8", "replace") if author.raw_email else "")[:254],
        authored_at=_when(author.time, author.offset),
        committed_at=_when(commit.commit_time, commit.commit_time_offset),
        picked_from=picked[-1] if picked else "",
    )


PATCH_ID_TIMEOUT = 300


def patch_ids(repository_id: int, shas: list[str]) -> dict[str, str]:
    """commit sha -> patch id (`git patch-id --stable`) for `shas`; merges and empty commits have none."""
    if not shas:
        return {}
    path = str(mirror_path(repository_id))
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1", "HOME": path, "LC_ALL": "C"}
    try:
        log = subprocess.Popen(
            ["git", "-C", path, "log", "--no-walk=unsorted", "--no-merges", "--no-ext-diff", "--no-textconv",
             "--no-color", "-p", "--format=commit %H", "--stdin"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
        )
        ids = subprocess.Popen(
            ["git", "patch-id", "--stable"], stdin=log.stdout, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=env,
        )
        log.stdout.close()  # patch-id owns the pipe now
        log.stdin.write("\n".join(shas).encode() + b"\n")
        log.stdin.close()
        out, _ = ids.communicate(timeout=PATCH_ID_TIMEOUT)
        log.wait(timeout=PATCH_ID_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"Computing patch ids failed: {exc}") from None
    found: dict[str, str] = {}
    for line in out.decode("ascii", "replace").splitlines():
        parts = line.split()
        if len(parts) == 2:
            found[parts[1]] = parts[0]
    return found


def walk(repo: pygit2.Repository, tips: Iterable[str], hide: Iterable[str] = ()) -> Iterator[pygit2.Commit]:
    """Commits reachable from `tips` and not from `hide` (hidden tips that no longer exist are skipped)."""
    walker = None
    for tip in tips:
        oid = pygit2.Oid(hex=tip)
        if walker is None:
            walker = repo.walk(oid, SortMode.NONE)
        else:
            walker.push(oid)
    if walker is None:
        return iter(())
    for sha in hide:
        try:
            walker.hide(pygit2.Oid(hex=sha))
        except (pygit2.GitError, KeyError, ValueError):
            pass  # gone after a force-push and a gc: nothing of it to hide
    return iter(walker)


def reachable(repo: pygit2.Repository, tips: Iterable[str]) -> set[str]:
    return {str(c.id) for c in walk(repo, tips)}


def is_ancestor(repo: pygit2.Repository, ancestor: str, descendant: str) -> bool:
    """Whether `descendant` has `ancestor` in its history (a commit counts as its own)."""
    if ancestor == descendant:
        return True
    try:
        return repo.descendant_of(pygit2.Oid(hex=descendant), pygit2.Oid(hex=ancestor))
    except (pygit2.GitError, KeyError, ValueError):
        return False
