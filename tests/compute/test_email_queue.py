"""The email queue: encrypted, TLS-only, DLQ after 5 receives, partial batch responses."""

from __future__ import annotations

from typing import Any

from tests.compute.conftest import SynthesizedStage, by_path, resources


def queue(stage: SynthesizedStage, name: str) -> tuple[str, dict[str, Any]]:
    return by_path(stage.compute, f"EmailQueue/{name}/Resource")


def test_queue_redrives_to_the_dead_letter_queue_after_five_receives(
    stage: SynthesizedStage,
) -> None:
    dlq_id, dlq = queue(stage, "DeadLetterQueue")
    _, main = queue(stage, "Queue")
    assert main["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": 5,
    }
    assert "RedrivePolicy" not in dlq["Properties"]


def test_visibility_timeout_is_six_times_the_worker_timeout(stage: SynthesizedStage) -> None:
    _, main = queue(stage, "Queue")
    worker_timeout = stage.config.compute.worker("email_worker").timeout_seconds
    assert main["Properties"]["VisibilityTimeout"] == 6 * worker_timeout
    _, worker = by_path(stage.compute, "EmailWorker/Function/Resource")
    assert worker["Properties"]["Timeout"] == worker_timeout


def test_both_queues_are_encrypted_and_refuse_requests_without_tls(
    stage: SynthesizedStage,
) -> None:
    queue_ids = set()
    for name in ("Queue", "DeadLetterQueue"):
        queue_id, resource = queue(stage, name)
        queue_ids.add(queue_id)
        assert resource["Properties"]["SqsManagedSseEnabled"] is True
        assert resource["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    denied = set()
    for policy in resources(stage.compute, "AWS::SQS::QueuePolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}:
                assert statement["Effect"] == "Deny"
                denied.update(queue_ref["Ref"] for queue_ref in policy["Properties"]["Queues"])
    assert denied == queue_ids


def test_worker_alias_consumes_with_partial_batch_responses(stage: SynthesizedStage) -> None:
    queue_id, _ = queue(stage, "Queue")
    alias_id, _ = by_path(stage.compute, "EmailWorker/LiveAlias/Resource")
    ((_, mapping),) = resources(stage.compute, "AWS::Lambda::EventSourceMapping").items()
    properties = mapping["Properties"]
    assert properties["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BatchSize"] == 10
    # The mapping invokes the alias (so CodeDeploy's traffic shift covers the worker too)
    assert alias_id in str(properties["FunctionName"]) and ":live" in str(
        properties["FunctionName"]
    )


def test_an_alarm_fires_as_soon_as_a_message_reaches_the_dead_letter_queue(
    stage: SynthesizedStage,
) -> None:
    dlq_id, _ = queue(stage, "DeadLetterQueue")
    _, alarm = by_path(stage.compute, "EmailQueue/DeadLetterAlarm/Resource")
    properties = alarm["Properties"]
    assert properties["Namespace"] == "AWS/SQS"
    assert properties["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert properties["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}
    ]
    assert properties["ComparisonOperator"] == "GreaterThanThreshold"
    assert properties["Threshold"] == 0
    assert properties["EvaluationPeriods"] == 1
