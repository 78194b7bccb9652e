"""Which command-line commands and options the suite passed through `cli.main`.

The conftest wraps `cli.main` for the whole session: each worker appends every
command line it is given to a file in one shared folder, and after a full run the
controller parses them all again and fails the run if a command or an option of
`cli.build_parser()` was never given to a call that succeeded (exit status 0): a
command line `main` refused proves the refusal, not that the option works. This
records what ran, not what a test's source text mentions.
"""

import io
import json
import os
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

ENV = "KERAS_GEN_CLI_LOG"


def record(argv, status=0, folder=None):
    """Appends one command line and `main`'s exit status (an int, or the name of
    the exception it raised) to this process's log (no-op without a folder)."""
    folder = folder or os.environ.get(ENV)
    if not folder or argv is None:
        return
    line = json.dumps({"argv": [str(a) for a in argv], "status": status})
    with open(Path(folder) / f"argv-{os.getpid()}.jsonl", "a") as f:
        f.write(line + "\n")


def read(folder, succeeded_only=True, process="*"):
    """The recorded command lines, from every process's log (or from the process
    `process`'s): those `main` ran to exit status 0 (`succeeded_only`), or all."""
    argvs = []
    for path in sorted(Path(folder).glob(f"argv-{process}.jsonl")):
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            if not succeeded_only or entry["status"] in (0, None):
                argvs.append(entry["argv"])
    return argvs


def _subparsers(parser):
    return parser._subparsers._group_actions[0].choices


def expected(parser):
    """{command: {option, ...}}: every long option of every command (and the
    choices of a command's first positional, such as `data prepare|import`)."""
    wanted = {}
    for name, sub in _subparsers(parser).items():
        opts = set()
        for action in sub._actions:
            if action.option_strings:
                opts.update(o for o in action.option_strings if o.startswith("--"))
            elif action.choices:
                opts.update(action.choices)
        wanted[name] = opts - {"--help"}
    return wanted


def passed(parser, argvs):
    """{command: {option, ...}} that the recorded command lines gave and that
    parsed (a command line argparse refused does not count)."""
    seen = {}
    subs = _subparsers(parser)
    for argv in argvs:
        if not argv or argv[0] not in subs:
            continue
        try:  # quietly: a recorded `--help` or refused line would print
            with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                parser.parse_args(argv)
        except SystemExit:
            continue
        sub = subs[argv[0]]
        # Short spellings count as their long option (`-n` as `--n`).
        long_name = {
            o: next(x for x in a.option_strings if x.startswith("--"))
            for a in sub._actions
            for o in a.option_strings
            if any(x.startswith("--") for x in a.option_strings)
        }
        opts = seen.setdefault(argv[0], set())
        for token in argv[1:]:
            key = token.split("=", 1)[0] if token.startswith("-") else token
            opts.add(long_name.get(key, key))
    return seen


def missing(parser, argvs):
    """Sorted 'command option' strings never passed (a command never run at all
    is listed as 'command')."""
    seen = passed(parser, argvs)
    out = []
    for command, opts in expected(parser).items():
        if command not in seen:
            out.append(command)
            continue
        out += [f"{command} {o}" for o in sorted(opts - seen[command])]
    return sorted(out)
