"""Acknowledge, in one place, linter findings that CDK itself produces in every template."""

from __future__ import annotations

import jsii
from aws_cdk import CfnResource, IAspect
from constructs import IConstruct

from cdk_constructs.nag import acknowledge_checkov, acknowledge_lint

# CDK lists a function's execution role in DependsOn although Role: Fn::GetAtt already orders
# them (cfn-lint W3005). It does so for its own providers too (custom resources, log
# retention, bucket auto-delete), so the finding is acknowledged on every function here
# instead of construct by construct.
_REDUNDANT_ROLE_DEPENDENCY = (
    "CDK adds the execution role to DependsOn beside the Role GetAtt; the duplicate "
    "ordering is harmless and comes from CDK's function and provider code, not ours"
)

# CDK's singleton providers (default-SG restriction, bucket auto-delete) are Lambda functions
# CloudFormation calls synchronously a few times per deploy, outside our configuration.
_CDK_PROVIDER_CHECKOV_REASONS = {
    "CKV_AWS_115": "CDK's own custom-resource provider runs a few times per deploy; a "
    "concurrency reservation would only shrink the account pool",
    "CKV_AWS_116": "CDK's own custom-resource provider is invoked synchronously by "
    "CloudFormation, which reports its failures; a DLQ would never receive anything",
    "CKV_AWS_117": "CDK's own custom-resource provider calls only public AWS APIs during "
    "deploys and needs no VPC resource",
}
_CDK_PROVIDER_PATH_SUFFIX = "CustomResourceProvider/Handler"


@jsii.implements(IAspect)
class AcknowledgeKnownCdkArtefacts:
    """Aspect: acknowledge what CDK renders into every function, and its providers' checks."""

    def visit(self, node: IConstruct) -> None:
        if not (
            isinstance(node, CfnResource) and node.cfn_resource_type == "AWS::Lambda::Function"
        ):
            return
        # L2 functions add the role dependency at the construct level, rendered only at
        # synthesis, so it cannot be inspected here: every function gets the acknowledgment.
        acknowledge_lint(node, {"W3005": _REDUNDANT_ROLE_DEPENDENCY})
        if node.node.path.endswith(_CDK_PROVIDER_PATH_SUFFIX):
            acknowledge_checkov(node, _CDK_PROVIDER_CHECKOV_REASONS)
