"""CloudFront resources whose CloudFormation create fails when the template gives them tags."""

from __future__ import annotations

from aws_cdk import CfnResource
from constructs import IConstruct


def without_tags(resource: IConstruct) -> None:
    """Remove ``Tags`` from ``resource``'s CloudFormation properties, whatever tags the app adds.

    The app tags every taggable resource (``Tags.of(app)``); for these types that breaks the
    deploy, and the tags buy nothing (cost allocation runs on the distribution's tags):

    * ``AWS::CloudFront::KeyValueStore``: aws-cdk-lib >= 2.235 renders ``Tags``, which
      CloudFormation rejects ("extraneous key [Tags] is not permitted",
      https://github.com/aws/aws-cdk/issues/36765) although cfn-lint accepts it;
    * ``AWS::CloudFront::Function``: since CloudFront began accepting function tags, creates
      with tags fail with 409 "Unable to create function with tags at this time"
      (https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/2508).
    """
    cfn = resource.node.default_child
    if not isinstance(cfn, CfnResource):
        raise TypeError(f"{resource.node.path} has no CloudFormation resource to untag")
    cfn.add_property_deletion_override("Tags")
