"""tools.ops.pr_report: the PR comment built from real-looking `cdk diff` output."""

from __future__ import annotations

from pathlib import Path

from tools.ops import pr_report

# The shape `cdk diff --no-color` prints (stack headers, sections, closing count).
DIFF = """\
Stack Taskly-dev-Network
There were no differences

Stack Taskly-dev-Compute
IAM Statement Changes
┌───┬──────────┬────────┬────────────────┐
│   │ Resource │ Effect │ Action         │
├───┼──────────┼────────┼────────────────┤
│ + │ *        │ Allow  │ s3:GetObject   │
└───┴──────────┴────────┴────────────────┘
Resources
[+] AWS::S3::Bucket Assets AssetsBucket1234

Stack Taskly-dev-Auth
There were no differences

\u2728  Number of stacks with differences: 1
"""


def test_summary_lists_changed_and_unchanged_stacks_and_security_sections() -> None:
    summary = pr_report.summarize(DIFF)
    assert summary.changed_stacks == ("Taskly-dev-Compute",)
    assert summary.unchanged_stacks == ("Taskly-dev-Network", "Taskly-dev-Auth")
    assert summary.stacks_with_differences == 1
    assert summary.security_sections == ("IAM Statement Changes",)


def test_comment_leads_with_the_security_warning_then_the_diff_then_cost() -> None:
    body = pr_report.render(
        stage="dev", diff=DIFF, diff_exit_code=0, cost_markdown="| +$3.10/month |", cost_note=None
    )
    assert body.startswith("## `dev`: infrastructure diff")
    assert body.index("[!WARNING]") < body.index("<details>") < body.index("### Cost")
    assert "Stacks that change: `Taskly-dev-Compute`" in body
    assert "| +$3.10/month |" in body


def test_a_failed_diff_says_so_instead_of_claiming_no_changes() -> None:
    body = pr_report.render(
        stage="prod",
        diff="Unable to resolve AWS account to use\n",
        diff_exit_code=1,
        cost_markdown=None,
        cost_note="no base checkout",
    )
    assert "`cdk diff` failed (exit code 1)" in body
    assert "No stack changes" not in body
    assert "_No cost comparison: no base checkout._" in body


def test_colours_are_stripped_and_backticks_in_the_diff_cannot_break_the_fence() -> None:
    diff = "Stack A\n\x1b[32m[+] added\x1b[0m ```not a fence```\n"
    body = pr_report.render(
        stage="dev", diff=diff, diff_exit_code=0, cost_markdown=None, cost_note="x"
    )
    assert "\x1b[" not in body
    assert "````\nStack A" in body  # a fence longer than the diff's own backtick run


def test_a_huge_diff_is_cut_to_fit_a_github_comment() -> None:
    diff = "Stack Big\n" + ("[~] AWS::Lambda::Function Fn\n" * 5000)
    body = pr_report.render(
        stage="dev", diff=diff, diff_exit_code=0, cost_markdown=None, cost_note="x"
    )
    assert len(body) < 65_536
    assert "more characters: see the job log" in body


def test_cli_writes_the_report_and_reports_a_missing_input_in_one_line(
    tmp_path: Path, capsys
) -> None:
    diff_file = tmp_path / "diff.txt"
    diff_file.write_text(DIFF)
    output = tmp_path / "out" / "report.md"
    argv = ["--stage", "dev", "--diff", str(diff_file), "--diff-exit-code", "0"]
    assert pr_report.main([*argv, "--cost-note", "none yet", "--output", str(output)]) == 0
    assert "Taskly-dev-Compute" in output.read_text()

    missing = ["--stage", "dev", "--diff", str(tmp_path / "nope.txt"), "--diff-exit-code", "0"]
    assert pr_report.main([*missing, "--cost-note", "x", "--output", str(output)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("pr_report: error: cannot read the diff file")
    assert "\n" not in error
