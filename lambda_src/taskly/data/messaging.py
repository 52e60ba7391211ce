"""The email queue (SQS) and the email sender (SES v2)."""

from __future__ import annotations

from taskly.data.aws import client, translate_aws_errors
from taskly.models.email import TaskSharedEmail


class SqsEmailQueue:
    def __init__(self, *, queue_url: str) -> None:
        self._queue_url = queue_url

    def send(self, message: TaskSharedEmail) -> str:
        with translate_aws_errors("email queue"):
            response = client("sqs").send_message(
                QueueUrl=self._queue_url,
                MessageBody=message.model_dump_json(),
                MessageAttributes={"kind": {"DataType": "String", "StringValue": message.kind}},
            )
        return str(response["MessageId"])


class SesEmailSender:
    def send(self, *, sender: str, recipient: str, subject: str, text: str) -> str:
        with translate_aws_errors("email service"):
            response = client("sesv2").send_email(
                FromEmailAddress=sender,
                Destination={"ToAddresses": [recipient]},
                Content={
                    "Simple": {
                        "Subject": {"Data": subject, "Charset": "UTF-8"},
                        "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
                    }
                },
            )
        return str(response["MessageId"])
