"""Which lines of a cleaned log say what failed: ordered rules over the usual error formats of CI ecosystems.

A line's weight is that of the strongest rule it matches. Lines that only say *that* a job failed (exit codes,
"Finished: FAILURE", "BUILD FAILED", post-job cleanup) match no rule: they are `generic`, never a signature on
their own. Lines that merely mention errors without reporting one ("0 failed", "-Werror", "errors: 0") are muted.
"""

from __future__ import annotations

import re

PRIMARY, STRONG, MEDIUM, WEAK = 4.0, 3.0, 2.0, 1.0

RULES: tuple[tuple[float, re.Pattern[str]], ...] = tuple(
    (weight, re.compile(pattern))
    for weight, pattern in (
        (
            PRIMARY,
            r"\bTEST-UNEXPECTED-|\bPROCESS-CRASH\b|AddressSanitizer|^--- FAIL|<<< (?:FAILURE|ERROR)!|"
            r":\d+(?::\d+)?: (?:fatal )?error:|\berror\[E\d+\]|\berror (?:TS|CS)\d+:|^npm ERR! code |"
            r"Failed to execute goal|\[taskcluster:error\]|^FAILED |^E\s{2,}\S|^ERROR: (?!Job failed)",
        ),
        (STRONG, r"Traceback \(most recent call last\)|^\s*(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception)\b:?"),
        (STRONG, r"\berror(?:\[E\d+\]|\s+(?:TS|CS|FS|BC)\d+|\s+[A-Z]+\d{3,}):"),  # rustc, tsc, dotnet, lints
        (STRONG, r"^(?:.*?:\d+(?::\d+)?:?\s*)?(?:fatal )?error:|^ERROR:|^Error:|^E\s{2,}\S|\bERR!"),
        (STRONG, r"^(?:FATAL|fatal|panic|PANIC)\b|^\s*\[(?:ERROR|FATAL)\]\s+\S|Segmentation fault|core dumped"),
        (
            STRONG,
            r"^(?:FAIL|FAILED|FAILURE)\b[:!]?\s*\S|\s(?:FAIL|FAILED)$|^There (?:was|were) \d+ (?:failure|error)s?|"
            r"^--- FAIL|<<< (?:FAILURE|ERROR)!|\bTEST-UNEXPECTED-|\bFailed \d+/\d+ subtests\b|\bfailed on line \d+$",
        ),
        (STRONG, r"^\s*(?:[✕✗×✖]|●)\s+\S|\bAssertionError\b|\bassert(?:ion)? failed|Expected .+ (?:to|but)"),
        (STRONG, r"\b(?:CMake Error|ld: |undefined reference to|cannot find symbol|No such file or directory)"),
        (STRONG, r"\b(?:OutOfMemory|out of memory|OOMKilled|Killed|heap out of memory|MemoryError)\b"),
        (STRONG, r"\bPROCESS-CRASH\b|\bExit status: \d+|\bcommand not found\b|\bPermission denied\b"),
        (MEDIUM, r"\b(?:[Ee]rror|ERROR|[Ff]ailed|FAILED|[Ff]ailure|[Ee]xception)\b"),
        (
            MEDIUM,
            r"\b(?:[Cc]ould not|[Cc]ouldn't|[Cc]annot|[Uu]nable to|[Nn]ot found|[Nn]o match|[Dd]enied|"
            r"[Tt]imed? ?out|[Rr]efused|[Ii]nvalid|[Mm]issing|[Uu]nresolved|[Cc]onflict|[Nn]ot (?:allowed|available)|"
            r"[Uu]nexpected|[Vv]iolation|[Nn]o such|[Nn]othing provides|[Uu]ndefined|did not match)",
        ),
        (WEAK, r"^\* What went wrong:|\bwarning: .*(?:deprecated|not found)|\b[45]\d\d\b (?:Not Found|Forbidden)"),
    )
)

GENERIC = re.compile(
    r"^(?:##\[error\])?(?:Error: )?Process completed with exit code \d+\.?$"
    r"|^(?:ERROR: )?Job failed(?::.*)?$|^Finished: (?:FAILURE|ABORTED|UNSTABLE)$"
    r"|^(?:BUILD FAILED|FAILURE: Build failed with an exception\.|BUILD FAILURE)(?: in .*)?$"
    r"|^The command \".*\" (?:exited|failed) with \d+\.?$|^Done\. Your build exited with \d+\.?$"
    r"|^(?:script returned|Exited with) exit code \d+$|exit (?:code|status) \d+\.?$|^\+ exit \d+$"
    r"|^make(?:\[\d+\])?: \*\*\* .* Error \d+$|^npm ERR! (?:A complete log of this run|code ELIFECYCLE|errno \d+)"
    r"|^npm ERR! (?:This is probably not a problem|Failed at the|\s*$|[^\s]+@[^\s]+ \w+: `)"
    r"|^Build step '.*' marked build as failure$|^\[ERROR\] (?:-> \[Help 1\]|Re-run Maven|For more information|"
    r"To see the full stack trace|\s*$|Help 1\]|After correcting the problems)|^\[ERROR\]\s*$"
    r"|^Cleaning up (?:project directory|file based variables|orphan processes)|^Post job cleanup\.?$"
    r"|^\[command\]\S+|^\[Pipeline\] |^error Command failed with "
    r"exit code \d+\.?$|^info Visit https://yarnpkg\.com|^Error: The operation was canceled\.?$"
    r"|^ELIFECYCLE\s+Command failed|^\s*at (?:process|Module|Object)\.\S+ \(node:internal"
)
MUTED = re.compile(
    r"\b0 (?:failed|failures|errors?)\b|\b(?:failures|errors|failed)[=:]\s*0\b|(?<![\[=,])-Werror|\bno errors?\b|"
    r"\bif_error\b|--no-error|\berror_reporting\b|\bwarnings?\b.*\b0 errors?\b|^\s*[+$] |^Running |^Downloading |"
    r"^Collecting |\bOK$|^ok \d+|✓|\bPASS(?:ED)?\b|"
    r"^Requirement already satisfied|^\s*(?:Compiling|Checking|Fresh|Downloaded) \S+ v\d",
    re.IGNORECASE,
)


def is_generic(line: str) -> bool:
    """The line only says that something failed, not what (an exit code, a CI wrapper's verdict)."""
    return bool(GENERIC.search(line.strip()))


KEYWORDS = (
    "err",
    "fail",
    "fatal",
    "exception",
    "traceback",
    "panic",
    "denied",
    "not found",
    "cannot",
    "can't",
    "could not",
    "couldn't",
    "unable",
    "invalid",
    "missing",
    "unresolved",
    "conflict",
    "timed out",
    "timeout",
    "refused",
    "killed",
    "memory",
    "segmentation",
    "expected",
    "assert",
    "no match",
    "no such",
    "undefined",
    "not allowed",
    "not available",
    "crash",
    "unexpected",
    "violation",
    "nothing provides",
    "did not match",
    "what went wrong",
    "✕",
    "✗",
    "×",
    "✖",
    "●",
    " 404 ",
    " 403 ",
    " 500 ",
)  # a line without any of these matches no rule (checked first: most lines of a log are ordinary)


def mentions_failure(text: str) -> bool:
    lowered = text.lower()
    return any(keyword in lowered for keyword in KEYWORDS)


WARNING_LEVEL = re.compile(r"\b(?:WARN(?:ING)?|INFO|DEBUG)\b(?::|\]|\s+-\s|\s+\[)|^warning:", re.IGNORECASE)


def weight_of(line: str) -> float:
    """How strongly the line reports a failure: 0 for ordinary, muted and generic lines; a line logged at a
    level below error counts only when a strong rule matches it."""
    text = line.strip()
    if not text or GENERIC.search(text):
        return 0.0
    if RULES[0][1].search(text):  # a primary format wins over any muting word ("[-Werror=...]", "0 errors")
        return PRIMARY
    if MUTED.search(text):
        return 0.0
    for weight, pattern in RULES[1:]:
        if pattern.search(text):
            if weight < PRIMARY and WARNING_LEVEL.search(text):
                return weight - 1.0 if weight >= STRONG else 0.0
            return weight
    return 0.0


CONTINUATION = re.compile(
    r"^(?:\s+\S|\s*(?:at |File \"|Caused by|\.\.\. \d+ more|\^|~|\||-->|=+ |note:|help:|E\s)|\s*\d+\s*\|)"
)


def continues(line: str) -> bool:
    """The line belongs to the message above it (stack frames, compiler context, indented detail)."""
    return bool(CONTINUATION.match(line))
