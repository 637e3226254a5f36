"""The ci-resolver client: a failed CI job's log in, the team's known fix (or a suggestion) out, where the failure
happens. Standard library only, so it installs or runs as one file on any CI image."""

__version__ = "0.1.0"
