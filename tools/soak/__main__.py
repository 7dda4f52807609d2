"""python -m tools.soak [--seconds N] [--pairs N] [--outage github|jira|gitlab] [--seed N]

Needs PostgreSQL, Redis and a running Redmine (REDMINE_URL and REDMINE_API_KEY, as
scripts/redmine/start.sh prints them). Exits 1 unless every pair converged with no
duplicate, lost comment or loop.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tools.soak.run import Options, main  # noqa: E402


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m tools.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("SOAK_SECONDS", "600")),
                        help="how long to edit (default SOAK_SECONDS or 600)")
    parser.add_argument("--pairs", type=int, default=int(os.environ.get("SOAK_PAIRS", "0")) or None,
                        help="linked pairs per tracker (default 8, 3 for runs under 5 minutes)")
    parser.add_argument("--outage", choices=("github", "jira", "gitlab"), default=os.environ.get("SOAK_OUTAGE"),
                        help="the tracker taken down for a minute (default: one picked by the seed)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SOAK_SEED", "0")) or None)
    parser.add_argument("--database-url", default=os.environ.get(
        "SOAK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/handoff_soak"))
    args = parser.parse_args(argv)
    seed = args.seed or random.SystemRandom().randrange(1, 10**6)
    pairs = args.pairs or (8 if args.seconds >= 300 else 3)
    outage = args.outage or random.Random(seed).choice(("github", "jira", "gitlab"))
    return Options(seconds=args.seconds, pairs=pairs, outage=outage, seed=seed, database_url=args.database_url)


if __name__ == "__main__":
    sys.exit(main(parse(sys.argv[1:])))
